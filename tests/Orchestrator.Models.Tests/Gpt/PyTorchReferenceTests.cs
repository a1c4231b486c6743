using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Orchestrator.Models.Tests.Gpt;

/// <summary>
/// The strongest reference available here: the same weights and tokens through nanoGPT's forward and backward written
/// independently in PyTorch (Debian's python3-torch, /usr/bin/python3), compared logit by logit and gradient by gradient.
/// </summary>
public sealed class PyTorchReferenceTests(ITestOutputHelper output) : IDisposable
{
    private const string Python = "/usr/bin/python3";
    private readonly DirectoryInfo workDir = Directory.CreateTempSubdirectory("gpt-reference-");

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
        WriteInputs(model, config, tokens, targets);

        RunReference();

        var expectedLogits = ReadFloats(Path.Combine(workDir.FullName, "out", "logits.bin"), logits.shape);
        var logitDiff = TinyModels.MaxAbsDiff(logits, expectedLogits);
        var expectedLoss = double.Parse(File.ReadAllText(Path.Combine(workDir.FullName, "out", "loss.txt")), CultureInfo.InvariantCulture);
        output.WriteLine($"max |logit difference| {logitDiff:E2}; loss {loss.item<float>()} vs {expectedLoss}");
        Assert.True(logitDiff < 1e-5, $"logits differ from PyTorch by up to {logitDiff:E2}");
        Assert.Equal(expectedLoss, loss.item<float>(), 1e-5);

        foreach (var (name, parameter) in model.named_parameters())
        {
            var expected = ReadFloats(Path.Combine(workDir.FullName, "out", "grads", name + ".bin"), parameter.shape);
            var diff = TinyModels.MaxAbsDiff(parameter.grad!, expected);
            var scale = expected.abs().max().item<float>();
            output.WriteLine($"{name}: max |grad difference| {diff:E2} (largest gradient {scale:E2})");
            Assert.True(diff <= 1e-4 * scale + 1e-7, $"gradient of {name} differs from PyTorch by up to {diff:E2} (largest entry {scale:E2})");
        }
    }

    private void WriteInputs(LanguageModel model, ModelConfig config, Tensor tokens, Tensor targets)
    {
        var parameters = model.named_parameters().ToList();
        Directory.CreateDirectory(Path.Combine(workDir.FullName, "params"));
        foreach (var (name, parameter) in parameters)
            File.WriteAllBytes(Path.Combine(workDir.FullName, "params", name + ".bin"), parameter.detach().contiguous().bytes.ToArray());
        File.WriteAllBytes(Path.Combine(workDir.FullName, "idx.bin"), tokens.contiguous().bytes.ToArray());
        File.WriteAllBytes(Path.Combine(workDir.FullName, "targets.bin"), targets.contiguous().bytes.ToArray());
        var manifest = new
        {
            batch = tokens.shape[0], time = tokens.shape[1], vocab_size = config.VocabSize, n_embd = config.NEmbd,
            n_head = config.NHead, n_layer = config.NLayer, tie_weights = config.TieWeights,
            parameters = parameters.Select(p => new { name = p.name, shape = p.parameter.shape }),
        };
        File.WriteAllText(Path.Combine(workDir.FullName, "config.json"), JsonSerializer.Serialize(manifest));
    }

    private void RunReference()
    {
        Assert.True(File.Exists(Python), $"{Python} is missing: install python3-torch (scripts/setup.sh --tools) to run the PyTorch cross-check");
        var script = Path.Combine(AppContext.BaseDirectory, "Reference", "nanogpt_reference.py");
        using var process = Process.Start(new ProcessStartInfo(Python, [script, workDir.FullName])
        {
            RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false,
        })!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(2)), "the PyTorch reference did not finish within 2 minutes");
        Assert.True(process.ExitCode == 0, $"the PyTorch reference failed (exit {process.ExitCode}): {stdout.Result}{stderr.Result}");
    }

    private static Tensor ReadFloats(string path, long[] shape)
    {
        var values = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(path)).ToArray();
        return tensor(values, shape);
    }

    public void Dispose() => workDir.Delete(recursive: true);
}
