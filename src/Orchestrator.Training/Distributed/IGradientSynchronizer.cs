using TorchSharp;
using static TorchSharp.torch;

namespace Orchestrator.Training.Distributed;

/// <summary>How gradient values travel between ranks: float32, or bfloat16 (half the bytes, about 3 significant digits).</summary>
public enum GradientWire
{
    Float32,
    Bfloat16,
}

/// <summary>
/// The trainer's view of its data-parallel peers. The single-process implementation does nothing; the
/// distributed one (Orchestrator.Worker) flattens gradients into buckets and ring-all-reduces them over gRPC.
/// Every rank must make the same calls in the same order (they are collective operations).
/// </summary>
public interface IGradientSynchronizer
{
    int Rank { get; }
    int WorldSize { get; }

    /// <summary>
    /// Starts averaging <paramref name="gradients"/> across ranks in place, sending <paramref name="wire"/> values. The
    /// returned task completes when the averaged values are back in the tensors; the trainer starts it as soon as a
    /// segment's backward is done and awaits all of them before clipping and the optimizer step, so communication
    /// overlaps computation. The call itself takes the operation's place in the ring's order.
    /// </summary>
    Task AverageGradientsAsync(IReadOnlyList<Tensor> gradients, GradientWire wire, CancellationToken cancellationToken);

    /// <summary>Sums small values (losses, token counts, non-finite flags) across ranks.</summary>
    Task<double[]> SumAsync(double[] values, CancellationToken cancellationToken);

    /// <summary>
    /// Every rank's <paramref name="values"/> (the same length everywhere), indexed by rank, bit for bit: per-rank state
    /// such as PowerSGD's error buffers, which rank 0 writes into a checkpoint.
    /// </summary>
    Task<float[][]> GatherAsync(float[] values, CancellationToken cancellationToken);

    /// <summary>
    /// Time this rank's sends to its neighbour were held up by the link, summed since the group formed (zero where
    /// nothing travels or nothing is measured). In a ring every rank's exchange lasts as long as the slowest link's, so
    /// only this says whose link is slow; the trainer reports it per step (<see cref="Progress.StepPhases.SendWaitSeconds"/>).
    /// </summary>
    TimeSpan SendingTime => TimeSpan.Zero;
}

/// <summary>World size 1: nothing to exchange.</summary>
public sealed class SingleProcessSynchronizer : IGradientSynchronizer
{
    public static readonly SingleProcessSynchronizer Instance = new();
    public int Rank => 0;
    public int WorldSize => 1;
    public Task AverageGradientsAsync(IReadOnlyList<Tensor> gradients, GradientWire wire, CancellationToken cancellationToken) => Task.CompletedTask;
    public Task<double[]> SumAsync(double[] values, CancellationToken cancellationToken) => Task.FromResult(values);
    public Task<float[][]> GatherAsync(float[] values, CancellationToken cancellationToken) => Task.FromResult(new[] { values });
}
