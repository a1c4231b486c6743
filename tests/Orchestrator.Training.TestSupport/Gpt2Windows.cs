using Orchestrator.Inference;
using static TorchSharp.torch;

namespace Orchestrator.Training.TestSupport;

/// <summary>Token windows <c>(B, T + 1)</c> over GPT-2's vocabulary, and our model's logits and loss on them, to compare with <see cref="PythonGpt2"/>.</summary>
public static class Gpt2Windows
{
    public static long[,] Random(int batch, int time, int seed)
    {
        var random = new System.Random(seed);
        var windows = new long[batch, time + 1];
        for (var b = 0; b < batch; b++)
            for (var t = 0; t <= time; t++) windows[b, t] = random.Next(PythonGpt2.Vocab);
        return windows;
    }

    public static Tensor Inputs(long[,] windows) =>
        tensor(windows.Cast<long>().ToArray(), [windows.GetLength(0), windows.GetLength(1)]).narrow(1, 0, windows.GetLength(1) - 1);

    /// <summary>Our logits for the windows' inputs and the mean cross-entropy against their next tokens.</summary>
    public static (Tensor Logits, double Loss) Forward(TrainedModel trained, long[,] windows)
    {
        using var noGrad = no_grad();
        var all = tensor(windows.Cast<long>().ToArray(), [windows.GetLength(0), windows.GetLength(1)]);
        var time = windows.GetLength(1) - 1;
        var logits = trained.Model.call(all.narrow(1, 0, time));
        var loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[^1]), all.narrow(1, 1, time).reshape(-1));
        return (logits, loss.to(ScalarType.Float64).item<double>());
    }
}
