using Orchestrator.Training.Checkpoints;
using Orchestrator.Training.Pretrained;
using Orchestrator.Training.Tests.TestSupport;
using Xunit.Abstractions;
using static TorchSharp.torch;
using Orchestrator.Inference;

namespace Orchestrator.Training.Tests.Pretrained;

/// <summary>
/// A GPT-2 written by PyTorch in Hugging Face's layout loads into our model and computes what GPT-2's own forward pass
/// (tanh GELU, the config's LayerNorm epsilon, tied or untied head) computes on the same tokens.
/// </summary>
public sealed class HfGpt2ImportTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _temp = new();

    [Theory]
    [InlineData(true, false, 1e-5)]
    [InlineData(false, false, 1e-5)]
    [InlineData(true, true, 1e-3)]
    public void Logits_and_loss_match_the_PyTorch_GPT2_forward(bool prefix, bool untied, double eps)
    {
        var directory = PythonGpt2.Make(_temp.Sub("hf"), prefix, untied, eps);
        var windows = Gpt2Windows.Random(batch: 3, time: 20, seed: 11);
        var (expected, expectedLoss) = PythonGpt2.Forward(directory, windows, _temp.Sub("work"));

        using var trained = TrainedModel.Load(directory);
        Assert.Equal("gelu_new", trained.Model.Config.Activation);
        Assert.Equal(eps, trained.Model.Config.LayerNormEpsilon);
        Assert.Equal(!untied, trained.Model.Config.TieWeights);
        Assert.Equal("gpt2", trained.Tokenizer.Kind);
        using var scope = NewDisposeScope();
        var (logits, loss) = Gpt2Windows.Forward(trained, windows);

        var ours = logits.data<float>().ToArray();
        Assert.Equal(expected.Length, ours.Length);
        var maxDiff = expected.Zip(ours, (a, b) => Math.Abs((double)a - b)).Max();
        output.WriteLine($"prefix {prefix}, untied {untied}, eps {eps}: max |logit difference| {maxDiff:E2}, loss {loss:R} vs {expectedLoss:R} (relative {Math.Abs(loss - expectedLoss) / expectedLoss:E2})");
        Assert.True(maxDiff < 1e-4, $"logits differ from PyTorch's GPT-2 by up to {maxDiff}");
        Assert.True(Math.Abs(loss - expectedLoss) / expectedLoss < 1e-5, $"loss {loss} vs PyTorch's {expectedLoss}");
        Assert.True(expected.Max(Math.Abs) > 0.1, "the reference logits are too small for the comparison to mean anything");
    }

    [Fact]
    public void A_shorter_block_size_takes_the_first_position_embeddings()
    {
        var directory = PythonGpt2.Make(_temp.Sub("hf"));
        var windows = Gpt2Windows.Random(batch: 2, time: 8, seed: 5);
        var (expected, _) = PythonGpt2.Forward(directory, windows, _temp.Sub("work"));
        var pretrained = PretrainedModel.Open(directory);
        using var model = Models.ModelFactory.Create(pretrained.Config with { BlockSize = 8 });
        pretrained.LoadInto(model);
        model.eval();
        using var scope = NewDisposeScope();
        var logits = model.call(Gpt2Windows.Inputs(windows)).data<float>().ToArray();
        Assert.True(expected.Zip(logits, (a, b) => Math.Abs((double)a - b)).Max() < 1e-4);
    }

    public void Dispose() => _temp.Dispose();
}
