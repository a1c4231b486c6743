using System.Runtime.InteropServices;
using System.Text.Json;

namespace Orchestrator.Training.TestSupport;

/// <summary>
/// Drives Reference/hf_gpt2_reference.py: a GPT-2 written in Hugging Face's layout by PyTorch with its own safetensors
/// writer, and GPT-2's forward pass written from its definition, independent of the C# code under test.
/// </summary>
public static class PythonGpt2
{
    public const int Vocab = 50257;

    /// <summary>A 2-layer, 16-wide GPT-2 with GPT-2's vocabulary and 32 positions, random weights from <paramref name="seed"/>.</summary>
    public static string Make(string directory, bool prefix = true, bool untied = false, double eps = 1e-5, int seed = 3, int layers = 2, int positions = 32,
        string? drop = null, string? wrongShape = null)
    {
        Directory.CreateDirectory(directory);
        string[] args = ["make", directory, "--n-layer", $"{layers}", "--n-head", "2", "--n-embd", "16", "--n-positions", $"{positions}",
            "--vocab", $"{Vocab}", "--eps", eps.ToString("R", System.Globalization.CultureInfo.InvariantCulture), "--seed", $"{seed}"];
        if (prefix) args = [.. args, "--prefix"];
        if (untied) args = [.. args, "--untied"];
        if (drop is not null) args = [.. args, "--drop", drop];
        if (wrongShape is not null) args = [.. args, "--wrong-shape", wrongShape];
        Run(args);
        return directory;
    }

    /// <summary>The reference logits <c>(B, T, V)</c> flattened, and the mean cross-entropy, of <paramref name="windows"/> <c>(B, T + 1)</c>.</summary>
    public static (float[] Logits, double Loss) Forward(string directory, long[,] windows, string work)
    {
        Directory.CreateDirectory(work);
        var tokens = Path.Combine(work, "tokens.bin");
        var logits = Path.Combine(work, "logits.bin");
        var header = new long[] { windows.GetLength(0), windows.GetLength(1) };
        var flat = windows.Cast<long>().ToArray();
        File.WriteAllBytes(tokens, [.. MemoryMarshal.AsBytes(header.AsSpan()), .. MemoryMarshal.AsBytes(flat.AsSpan())]);
        var output = Run(["forward", directory, tokens, logits]);
        var loss = JsonDocument.Parse(output).RootElement.GetProperty("loss").GetDouble();
        return (MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(logits)).ToArray(), loss);
    }

    /// <summary>GPT-2's BPE (the published algorithm) over <paramref name="directory"/>'s vocab.json and merges.txt.</summary>
    public static int[] Encode(string directory, string asciiText, string work)
    {
        Directory.CreateDirectory(work);
        var text = Path.Combine(work, "text.txt");
        File.WriteAllText(text, asciiText);
        return JsonSerializer.Deserialize<int[]>(Run(["encode", directory, text]))!;
    }

    private static string Run(string[] args) =>
        PyTorchScript.LastLine(PyTorchScript.Run(PyTorchScript.Beside("hf_gpt2_reference.py"), args, TimeSpan.FromMinutes(3)));
}
