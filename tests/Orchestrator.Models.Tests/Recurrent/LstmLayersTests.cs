using Orchestrator.Models.Recurrent;
using static TorchSharp.torch;

namespace Orchestrator.Models.Tests.Recurrent;

public sealed class LstmLayersTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Same_seed_gives_the_parameter_names_and_weights_of_nn_LSTM(bool bias)
    {
        // Checkpoints written before LstmLayers replaced nn.LSTM load unchanged, and seeded runs start from the same weights.
        using var scope = NewDisposeScope();
        var expected = TinyModels.Seeded(77, () => nn.LSTM(6, 10, 3, bias, batchFirst: true)).named_parameters().ToList();
        var actual = TinyModels.Seeded(77, () => new LstmLayers(6, 10, 3, bias, dropout: 0.0)).named_parameters().ToList();

        Assert.Equal(expected.Select(p => p.name), actual.Select(p => p.name));
        foreach (var ((name, want), (_, got)) in expected.Zip(actual))
        {
            Assert.Equal(want.shape, got.shape);
            Assert.True(TinyModels.MaxAbsDiff(want, got) == 0, $"{name} differs from nn.LSTM's initialisation");
        }
    }

    [Fact]
    public void Dropout_between_layers_applies_in_training_mode_only()
    {
        using var scope = NewDisposeScope();
        var layers = TinyModels.Seeded(5, () => new LstmLayers(4, 4, 2, bias: true, dropout: 0.5));
        var x = randn(2, 6, 4);
        var state = (zeros(2, 2, 4), zeros(2, 2, 4));
        layers.eval();
        var first = layers.forward(x, state).Output;
        Assert.Equal(0.0, TinyModels.MaxAbsDiff(first, layers.forward(x, state).Output));

        layers.train();
        Assert.True(TinyModels.MaxAbsDiff(first, layers.forward(x, state).Output) > 1e-3);
    }
}
