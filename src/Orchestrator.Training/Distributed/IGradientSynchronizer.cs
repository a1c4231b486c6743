using TorchSharp;
using static TorchSharp.torch;

namespace Orchestrator.Training.Distributed;

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
    /// Starts averaging <paramref name="gradients"/> across ranks in place. The returned task completes when the
    /// averaged values are back in the tensors; the trainer starts it as soon as a segment's backward is done and
    /// awaits all of them before clipping and the optimizer step, so communication overlaps computation.
    /// </summary>
    Task AverageGradientsAsync(IReadOnlyList<Tensor> gradients, CancellationToken cancellationToken);

    /// <summary>Sums small values (losses, token counts, non-finite flags) across ranks.</summary>
    Task<double[]> SumAsync(double[] values, CancellationToken cancellationToken);
}

/// <summary>World size 1: nothing to exchange.</summary>
public sealed class SingleProcessSynchronizer : IGradientSynchronizer
{
    public static readonly SingleProcessSynchronizer Instance = new();
    public int Rank => 0;
    public int WorldSize => 1;
    public Task AverageGradientsAsync(IReadOnlyList<Tensor> gradients, CancellationToken cancellationToken) => Task.CompletedTask;
    public Task<double[]> SumAsync(double[] values, CancellationToken cancellationToken) => Task.FromResult(values);
}
