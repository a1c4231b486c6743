using Orchestrator.Models.Gpt;
using Orchestrator.Models.Recurrent;

namespace Orchestrator.Models.Tests;

public sealed class ModelFactoryTests
{
    [Fact]
    public void N_embd_not_divisible_by_n_head_is_rejected_naming_both_numbers()
    {
        var config = TinyModels.Gpt() with { NEmbd = 50, NHead = 4 };
        var error = Assert.Throws<InvalidModelConfigException>(() => ModelFactory.Create(config));
        Assert.Contains("n_embd (50)", error.Message);
        Assert.Contains("n_head (4)", error.Message);
    }

    [Fact]
    public void Unknown_model_type_is_rejected_listing_the_known_ones()
    {
        var config = TinyModels.Gpt() with { Model = "mamba" };
        var error = Assert.Throws<InvalidModelConfigException>(() => ModelFactory.Create(config));
        Assert.Contains("'mamba'", error.Message);
        Assert.Contains("gpt, lstm, gru, rnn", error.Message);
    }

    [Theory]
    [InlineData("gpt", typeof(GptModel), 4)]
    [InlineData("lstm", typeof(RecurrentLanguageModel), 3)]
    [InlineData("gru", typeof(RecurrentLanguageModel), 3)]
    [InlineData("rnn", typeof(RecurrentLanguageModel), 3)]
    public void Each_model_type_builds_its_family(string kind, Type expected, int segments)
    {
        using var model = TinyModels.Create(kind == "gpt" ? TinyModels.Gpt() : TinyModels.Recurrent(kind));
        Assert.IsType(expected, model);
        Assert.Equal(kind, model.Config.Model);
        Assert.Equal(segments, model.SegmentCount);
    }

    [Theory]
    [InlineData("lstm", 4)]
    [InlineData("gru", 3)]
    [InlineData("rnn", 1)]
    public void Recurrent_parameter_count_follows_the_gate_count(string kind, int gates)
    {
        using var model = TinyModels.Create(TinyModels.Recurrent(kind, tie: false));
        long V = 11, C = 8, L = 2;
        // Each layer: gates·(C·C input weights + C·C recurrent weights + 2·C biases); embedding and untied head with bias.
        var expected = V * C + L * gates * (2 * C * C + 2 * C) + (C * V + V);
        Assert.Equal(expected, model.ParameterCount());
    }
}
