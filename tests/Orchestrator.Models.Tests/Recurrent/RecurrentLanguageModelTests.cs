using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Orchestrator.Models.Tests.Recurrent;

public sealed class RecurrentLanguageModelTests
{
    [Theory]
    [InlineData("lstm")]
    [InlineData("gru")]
    [InlineData("rnn")]
    public void Tied_head_weight_shares_storage_with_the_embedding(string kind)
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Create(TinyModels.Recurrent(kind, tie: true));
        var modules = model.named_modules().ToDictionary(m => m.name, m => m.module);
        var embedding = ((Embedding)modules["wte"]).weight!;
        var head = ((Linear)modules["lm_head"]).weight!;

        using (no_grad()) embedding[5] = full(8, 3.0f);

        Assert.Equal(0.0, TinyModels.MaxAbsDiff(head[5], full(8, 3.0f)));
        Assert.DoesNotContain(model.named_parameters(), p => p.name == "lm_head.weight");
    }

    [Theory]
    [InlineData("lstm")]
    [InlineData("gru")]
    [InlineData("rnn")]
    public void Dropout_is_active_in_training_mode_only(string kind)
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Create(TinyModels.Recurrent(kind, dropout: 0.3));
        var reference = TinyModels.Create(TinyModels.Recurrent(kind, dropout: 0.0)); // same seed, same weights
        var tokens = TinyModels.Tokens(2, 10, 11, seed: 51);

        var eval1 = model.forward(tokens);
        Assert.Equal(0.0, TinyModels.MaxAbsDiff(eval1, model.forward(tokens)));
        Assert.True(TinyModels.MaxAbsDiff(eval1, reference.forward(tokens)) < 1e-6, "eval-mode dropout must be the identity");

        model.train();
        var train1 = model.forward(tokens);
        Assert.True(TinyModels.MaxAbsDiff(train1, model.forward(tokens)) > 1e-3);
        Assert.True(TinyModels.MaxAbsDiff(train1, eval1) > 1e-3);
    }
}
