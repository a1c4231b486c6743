using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Orchestrator.Models.Tests;

/// <summary>Backpropagation checked against an independent reference: central finite differences of the loss in float64.</summary>
public sealed class GradientCheckTests(ITestOutputHelper output)
{
    private const double Step = 1e-6;
    private const double Tolerance = 1e-5;

    [Theory]
    [InlineData("gpt")]
    [InlineData("lstm")]
    [InlineData("gru")]
    [InlineData("rnn")]
    public void Analytic_gradients_match_central_finite_differences(string kind)
    {
        using var scope = NewDisposeScope();
        var config = kind == "gpt" ? TinyModels.Gpt(tie: true) : TinyModels.Recurrent(kind, tie: true);
        var model = TinyModels.Create(config, dtype: ScalarType.Float64);
        var tokens = TinyModels.Tokens(2, 6, config.VocabSize, seed: 11);
        var targets = TinyModels.Tokens(2, 6, config.VocabSize, seed: 12);
        Tensor Loss() => nn.functional.cross_entropy(model.forward(tokens).view(-1, config.VocabSize), targets.view(-1));

        Loss().backward();

        var checkedCount = 0;
        foreach (var (name, parameter) in model.named_parameters())
        {
            var grad = parameter.grad!.flatten();
            // The two largest gradient entries of each tensor: well above the finite difference's round-off (~1e-10).
            var (_, largest) = grad.abs().topk(2);
            foreach (var flatIndex in largest.data<long>().ToArray())
            {
                var analytic = grad[flatIndex].item<double>();
                var numeric = CentralDifference(parameter, flatIndex, Loss);
                var relative = Math.Abs(analytic - numeric) / Math.Max(Math.Abs(analytic), Math.Abs(numeric));
                output.WriteLine($"{name}[{flatIndex}] analytic {analytic:E6} numeric {numeric:E6} relative error {relative:E2}");
                Assert.True(relative < Tolerance, $"{kind} {name}[{flatIndex}]: analytic {analytic} vs numeric {numeric} (relative error {relative:E2})");
                checkedCount++;
            }
        }
        Assert.Contains(model.named_parameters(), p => p.name == "wte.weight"); // the tied weight is among those checked
        Assert.True(checkedCount >= 8, $"only {checkedCount} entries checked");
    }

    private static double CentralDifference(Tensor parameter, long flatIndex, Func<Tensor> loss)
    {
        using var noGrad = no_grad();
        var flat = parameter.view(-1);
        var original = flat[flatIndex].item<double>();
        flat[flatIndex] = original + Step;
        var plus = loss().item<double>();
        flat[flatIndex] = original - Step;
        var minus = loss().item<double>();
        flat[flatIndex] = original;
        return (plus - minus) / (2 * Step);
    }
}
