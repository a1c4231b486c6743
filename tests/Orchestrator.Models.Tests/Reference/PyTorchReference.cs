using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using static TorchSharp.torch;

namespace Orchestrator.Models.Tests.Reference;

/// <summary>
/// Runs one of the independent PyTorch references in this folder (Debian's python3-torch 1.13, /usr/bin/python3) on a
/// model's weights and tokens: writes them to a temporary directory as raw little-endian arrays with a manifest, runs the
/// script, and reads back what it wrote under <c>out/</c> (logits, loss, one gradient per parameter).
/// </summary>
internal sealed class PyTorchReference : IDisposable
{
    private readonly string _script;
    private readonly DirectoryInfo _workDir = Directory.CreateTempSubdirectory("pytorch-reference-");

    public PyTorchReference(string scriptName) => _script = Path.Combine(AppContext.BaseDirectory, "Reference", scriptName);

    private string Out => Path.Combine(_workDir.FullName, "out");

    /// <summary>Runs the reference on the model's parameters, <c>tokens (B, T)</c> and <c>targets (B, T)</c>.</summary>
    public void Run(LanguageModel model, Tensor tokens, Tensor targets)
    {
        WriteInputs(model, tokens, targets);
        PyTorchScript.Run(_script, [_workDir.FullName], TimeSpan.FromMinutes(5));
    }

    /// <summary>The reference's logits, in the shape given.</summary>
    public Tensor Logits(long[] shape) => ReadFloats(Path.Combine(Out, "logits.bin"), shape);

    /// <summary>The reference's mean cross-entropy loss.</summary>
    public double Loss() => double.Parse(File.ReadAllText(Path.Combine(Out, "loss.txt")), CultureInfo.InvariantCulture);

    /// <summary>The reference's gradient of the named parameter.</summary>
    public Tensor Gradient(string name, long[] shape) => ReadFloats(Path.Combine(Out, "grads", name + ".bin"), shape);

    private void WriteInputs(LanguageModel model, Tensor tokens, Tensor targets)
    {
        var parameters = model.named_parameters().ToList();
        Directory.CreateDirectory(Path.Combine(_workDir.FullName, "params"));
        foreach (var (name, parameter) in parameters)
            File.WriteAllBytes(Path.Combine(_workDir.FullName, "params", name + ".bin"), parameter.detach().contiguous().bytes.ToArray());
        File.WriteAllBytes(Path.Combine(_workDir.FullName, "idx.bin"), tokens.contiguous().bytes.ToArray());
        File.WriteAllBytes(Path.Combine(_workDir.FullName, "targets.bin"), targets.contiguous().bytes.ToArray());
        var config = model.Config;
        var manifest = new
        {
            model = config.Model, batch = tokens.shape[0], time = tokens.shape[1], vocab_size = config.VocabSize,
            n_embd = config.NEmbd, n_head = config.NHead, n_layer = config.NLayer, bias = config.Bias, tie_weights = config.TieWeights,
            parameters = parameters.Select(p => new { name = p.name, shape = p.parameter.shape }),
        };
        File.WriteAllText(Path.Combine(_workDir.FullName, "config.json"), JsonSerializer.Serialize(manifest));
    }

    private static Tensor ReadFloats(string path, long[] shape)
    {
        var values = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(path)).ToArray();
        return tensor(values, shape);
    }

    public void Dispose() => _workDir.Delete(recursive: true);
}
