using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Orchestrator.Training.Optimization;

/// <summary>
/// Clipping by global norm, split in two so the trainer reads the norm once per step together with the loss
/// (one device synchronisation) and hands the coefficient to <see cref="AdamW.Step"/> instead of rescaling gradients.
/// </summary>
public static class GradientClipping
{
    /// <summary>The L2 norm over all gradients as a 0-d tensor on their device; parameters without a gradient count as zero.</summary>
    public static Tensor GlobalNorm(IReadOnlyList<Parameter> parameters)
    {
        // Sums of squares by dot products rather than linalg.vector_norm: TorchSharp 0.107 builds vector_norm's `ord`
        // as a temporary native Scalar that a collection on another thread (gRPC, the checkpoint writer) can free
        // during the call, which crashed a run once.
        var squares = new List<Tensor>(parameters.Count);
        foreach (var p in parameters)
        {
            var grad = p.grad;
            if (grad is null) continue;
            using var flat = grad.reshape(-1);
            squares.Add(dot(flat, flat));
        }
        if (squares.Count == 0) return zeros(1).squeeze();
        using var stacked = stack(squares);
        foreach (var square in squares) square.Dispose();
        using var total = stacked.sum();
        return total.sqrt();
    }

    /// <summary>
    /// The factor that brings a gradient of norm <paramref name="totalNorm"/> down to <paramref name="maxNorm"/>
    /// (PyTorch's <c>max_norm / (norm + 1e-6)</c>, capped at 1); 1 when clipping is off.
    /// </summary>
    public static double Coefficient(double totalNorm, double maxNorm) =>
        maxNorm <= 0 ? 1.0 : Math.Min(1.0, maxNorm / (totalNorm + 1e-6));
}
