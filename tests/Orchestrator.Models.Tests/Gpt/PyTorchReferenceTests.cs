using Orchestrator.Models.Tests.Reference;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Orchestrator.Models.Tests.Gpt;

/// <summary>
/// The strongest reference available here: the same weights and tokens through nanoGPT's forward and backward written
/// independently in PyTorch (Debian's python3-torch, /usr/bin/python3), compared logit by logit and gradient by gradient.
/// </summary>
public sealed class PyTorchReferenceTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(true, true)]
    [InlineData(false, false)]
    public void Logits_loss_and_gradients_match_a_PyTorch_nanoGPT(bool bias, bool tie)
    {
        using var scope = NewDisposeScope();
        var config = new ModelConfig { Model = "gpt", VocabSize = 23, BlockSize = 16, NLayer = 2, NHead = 4, NEmbd = 32, Bias = bias, TieWeights = tie };
        var model = TinyModels.Create(config);
        const int batch = 3, time = 16;
        var tokens = TinyModels.Tokens(batch, time, config.VocabSize, seed: 41);
        var targets = TinyModels.Tokens(batch, time, config.VocabSize, seed: 42);
        var logits = model.forward(tokens);
        var loss = nn.functional.cross_entropy(logits.view(-1, config.VocabSize), targets.view(-1));
        loss.backward();
        Tensor inferenceLogits; // libtorch may pick other kernels without autograd (it does for LSTM): check that path too
        using (no_grad()) inferenceLogits = model.forward(tokens);
        using var reference = new PyTorchReference("nanogpt_reference.py");

        reference.Run(model, tokens, targets);

        var expectedLogits = reference.Logits(logits.shape);
        var logitDiff = TinyModels.MaxAbsDiff(logits, expectedLogits);
        var inferenceDiff = TinyModels.MaxAbsDiff(inferenceLogits, expectedLogits);
        var expectedLoss = reference.Loss();
        output.WriteLine($"max |logit difference| {logitDiff:E2} (without autograd {inferenceDiff:E2}); loss {loss.item<float>()} vs {expectedLoss}");
        Assert.True(logitDiff < 1e-5, $"logits differ from PyTorch by up to {logitDiff:E2}");
        Assert.True(inferenceDiff < 1e-5, $"logits computed without autograd differ from PyTorch by up to {inferenceDiff:E2}");
        Assert.Equal(expectedLoss, loss.item<float>(), 1e-5);

        foreach (var (name, parameter) in model.named_parameters())
        {
            var expected = reference.Gradient(name, parameter.shape);
            var diff = TinyModels.MaxAbsDiff(parameter.grad!, expected);
            var scale = expected.abs().max().item<float>();
            output.WriteLine($"{name}: max |grad difference| {diff:E2} (largest gradient {scale:E2})");
            Assert.True(diff <= 1e-4 * scale + 1e-7, $"gradient of {name} differs from PyTorch by up to {diff:E2} (largest entry {scale:E2})");
        }
    }
}
