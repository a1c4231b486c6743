using Orchestrator.Models.Gpt;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Orchestrator.Models.Tests.Gpt;

public sealed class GptModelTests
{
    [Fact]
    public void Changing_a_later_token_never_changes_earlier_logits()
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Create(TinyModels.Gpt());
        var tokens = TinyModels.Tokens(2, 12, 11, seed: 1);
        var changed = tokens.clone();
        changed[TensorIndex.Colon, 7] = (changed[TensorIndex.Colon, 7] + 1) % 11;

        var before = model.forward(tokens);
        var after = model.forward(changed);

        Assert.Equal(0.0, TinyModels.MaxAbsDiff(before[TensorIndex.Colon, ..7], after[TensorIndex.Colon, ..7]));
        // ... while the changed position and every later one do see the change.
        for (var t = 7; t < 12; t++)
            Assert.True(TinyModels.MaxAbsDiff(before[TensorIndex.Colon, t], after[TensorIndex.Colon, t]) > 1e-4, $"position {t} ignored the change");
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(false, false)]
    public void Parameter_count_equals_the_nanoGPT_formula(bool bias, bool tie)
    {
        var config = new ModelConfig { Model = "gpt", VocabSize = 65, BlockSize = 32, NLayer = 3, NHead = 4, NEmbd = 48, Bias = bias, TieWeights = tie };
        using var model = TinyModels.Create(config);

        long V = 65, T = 32, L = 3, C = 48;
        var layerNorm = bias ? 2 * C : C;                                // weight (+ bias)
        var attention = 3 * C * C + (bias ? 3 * C : 0) + C * C + (bias ? C : 0);   // c_attn + c_proj
        var mlp = 4 * C * C + (bias ? 4 * C : 0) + 4 * C * C + (bias ? C : 0);     // c_fc + c_proj
        var block = 2 * layerNorm + attention + mlp;
        var expected = V * C + T * C + L * block + layerNorm + (tie ? 0 : V * C);
        // With bias and tying: 65·48 + 32·48 + 3·(12·48² + 13·48) + 2·48 = 3120 + 1536 + 84816 + 96 = 89568.
        if (bias && tie) Assert.Equal(89_568, expected);

        Assert.Equal(expected, model.ParameterCount());
    }

    [Fact]
    public void Tied_head_weight_shares_storage_with_the_token_embedding()
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Create(TinyModels.Gpt(tie: true));
        var named = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        Assert.DoesNotContain("lm_head.weight", named.Keys); // listed once, as PyTorch does
        var wte = named["wte.weight"];
        var tokens = TinyModels.Tokens(1, 5, 11, seed: 2);

        using (no_grad()) wte[3] = full(8, 10.0f);

        var modules = model.named_modules().ToDictionary(m => m.name, m => m.module);
        var head = (Linear)modules["lm_head"];
        Assert.Equal(0.0, TinyModels.MaxAbsDiff(head.weight![3], full(8, 10.0f)));
        // The logit of token 3 is ln_f(hidden) · wte[3], so it follows the write as well.
        var hidden = model.ForwardSegment(2, model.ForwardSegment(1, model.ForwardSegment(0, tokens)));
        var expectedToken3 = matmul(((LayerNorm)modules["ln_f"]).forward(hidden), full(8, 10.0f));
        Assert.True(TinyModels.MaxAbsDiff(model.forward(tokens)[TensorIndex.Ellipsis, 3], expectedToken3) < 1e-4);
    }

    [Fact]
    public void Tied_weight_receives_the_gradient_of_both_uses()
    {
        using var scope = NewDisposeScope();
        var tied = TinyModels.Create(TinyModels.Gpt(tie: true));
        var state = tied.state_dict();
        var untied = TinyModels.Create(TinyModels.Gpt(tie: false));
        using (no_grad())
        {
            foreach (var (name, p) in untied.named_parameters())
                p.copy_(name == "lm_head.weight" ? state["wte.weight"] : state[name]);
        }
        var tokens = TinyModels.Tokens(2, 10, 11, seed: 3);
        var targets = TinyModels.Tokens(2, 10, 11, seed: 4);
        foreach (var m in new[] { tied, untied })
            nn.functional.cross_entropy(m.forward(tokens).view(-1, 11), targets.view(-1)).backward();

        var grads = untied.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!);
        var tiedGrad = tied.named_parameters().Single(p => p.name == "wte.weight").parameter.grad!;
        Assert.True(TinyModels.MaxAbsDiff(tiedGrad, grads["wte.weight"] + grads["lm_head.weight"]) < 1e-6);
    }

    [Fact]
    public void Dropout_is_active_in_training_mode_only()
    {
        using var scope = NewDisposeScope();
        var withDropout = TinyModels.Create(TinyModels.Gpt(dropout: 0.3));
        var withoutDropout = TinyModels.Create(TinyModels.Gpt(dropout: 0.0));
        var tokens = TinyModels.Tokens(2, 12, 11, seed: 5);

        withDropout.eval();
        var eval1 = withDropout.forward(tokens);
        var eval2 = withDropout.forward(tokens);
        Assert.Equal(0.0, TinyModels.MaxAbsDiff(eval1, eval2));
        Assert.True(TinyModels.MaxAbsDiff(eval1, withoutDropout.forward(tokens)) < 1e-6, "eval-mode dropout must be the identity");

        withDropout.train();
        var train1 = withDropout.forward(tokens);
        var train2 = withDropout.forward(tokens);
        Assert.True(TinyModels.MaxAbsDiff(train1, train2) > 1e-3);
        Assert.True(TinyModels.MaxAbsDiff(train1, eval1) > 1e-3);
    }

    [Fact]
    public void Initialisation_follows_nanoGPT()
    {
        var config = new ModelConfig { Model = "gpt", VocabSize = 300, BlockSize = 64, NLayer = 8, NHead = 4, NEmbd = 128 };
        using var model = TinyModels.Create(config);
        using var scope = NewDisposeScope();
        foreach (var (name, p) in model.named_parameters())
        {
            var std = p.std().item<float>();
            if (name.EndsWith("c_proj.weight", StringComparison.Ordinal))
                Assert.InRange(std, 0.02 / Math.Sqrt(16) * 0.95, 0.02 / Math.Sqrt(16) * 1.05);
            else if (name.StartsWith("h.", StringComparison.Ordinal) && name.Contains(".ln_", StringComparison.Ordinal) || name.StartsWith("ln_f", StringComparison.Ordinal))
                Assert.Equal(name.EndsWith("weight", StringComparison.Ordinal) ? 1.0f : 0.0f, p.mean().item<float>());
            else if (name.EndsWith(".bias", StringComparison.Ordinal))
                Assert.Equal(0.0f, p.abs().max().item<float>());
            else
                Assert.InRange(std, 0.02 * 0.95, 0.02 * 1.05);
        }
    }

    [Fact]
    public void Input_longer_than_block_size_is_rejected_naming_both_lengths()
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Create(TinyModels.Gpt(blockSize: 8));
        var error = Assert.Throws<ArgumentException>(() => model.forward(TinyModels.Tokens(1, 9, 11, seed: 6)));
        Assert.Contains("9 tokens", error.Message);
        Assert.Contains("block_size is 8", error.Message);
    }
}
