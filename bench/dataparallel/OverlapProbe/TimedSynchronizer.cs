using System.Diagnostics;
using Orchestrator.Training.Distributed;
using static TorchSharp.torch;

namespace OverlapProbe;

/// <summary>
/// Wraps the worker's synchronizer and timestamps, from the trainer's side, when each gradient exchange is handed
/// over and when its averaged values are back, and the per-step loss sum that follows them. The trainer calls
/// <see cref="SumAsync"/> once per step right after awaiting all exchanges, so each such call closes one step.
/// </summary>
internal sealed class TimedSynchronizer(IGradientSynchronizer inner) : IGradientSynchronizer
{
    private readonly Lock _gate = new();
    private readonly List<long> _starts = [];
    private readonly List<long> _ends = [];
    private long _previousBoundary;

    public int Rank => inner.Rank;
    public int WorldSize => inner.WorldSize;

    /// <summary>One record per training step, in order.</summary>
    public List<StepTiming> Steps { get; } = [];

    public Task AverageGradientsAsync(IReadOnlyList<Tensor> gradients, CancellationToken cancellationToken)
    {
        int index;
        lock (_gate)
        {
            index = _starts.Count;
            _starts.Add(Stopwatch.GetTimestamp());
            _ends.Add(0);
        }
        return TrackAsync(inner.AverageGradientsAsync(gradients, cancellationToken), index);
    }

    // The trainer awaits this wrapper, so the end is stamped before the trainer can move on.
    private async Task TrackAsync(Task exchange, int index)
    {
        await exchange.ConfigureAwait(false);
        var end = Stopwatch.GetTimestamp();
        lock (_gate) _ends[index] = end;
    }

    public async Task<double[]> SumAsync(double[] values, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        var result = await inner.SumAsync(values, cancellationToken).ConfigureAwait(false);
        var end = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            // Evaluation sums (no exchange before them) do not close a training step.
            if (_starts.Count > 0)
                Steps.Add(new StepTiming(_previousBoundary, [.. _starts], [.. _ends], start, end));
            _starts.Clear();
            _ends.Clear();
        }
        _previousBoundary = end;
        return result;
    }
}
