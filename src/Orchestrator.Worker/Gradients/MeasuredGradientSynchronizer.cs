using System.Diagnostics;
using Orchestrator.Telemetry;
using Orchestrator.Training.Distributed;
using static TorchSharp.torch;

namespace Orchestrator.Worker.Gradients;

/// <summary>
/// Times every gradient all-reduce of the synchronizer it wraps and counts its bytes, for the all-reduce
/// bandwidth series. With overlap on, calls run concurrently with the backward pass, so a call's time includes
/// waiting for the ring behind earlier buckets.
/// </summary>
internal sealed class MeasuredGradientSynchronizer(IGradientSynchronizer inner, TrainingMetrics metrics, TrainingIdentity who) : IGradientSynchronizer
{
    public int Rank => inner.Rank;
    public int WorldSize => inner.WorldSize;

    public async Task AverageGradientsAsync(IReadOnlyList<Tensor> gradients, GradientWire wire, CancellationToken cancellationToken)
    {
        var bytes = 0L;
        var elementBytes = wire == GradientWire.Bfloat16 ? sizeof(ushort) : sizeof(float);
        foreach (var gradient in gradients) bytes += gradient.numel() * elementBytes;
        var started = Stopwatch.GetTimestamp();
        await inner.AverageGradientsAsync(gradients, wire, cancellationToken);
        metrics.RecordAllReduce(who, bytes, Stopwatch.GetElapsedTime(started), WorldSize);
    }

    public TimeSpan SendingTime => inner.SendingTime;

    public Task<double[]> SumAsync(double[] values, CancellationToken cancellationToken) => inner.SumAsync(values, cancellationToken);

    public Task<float[][]> GatherAsync(float[] values, CancellationToken cancellationToken) => inner.GatherAsync(values, cancellationToken);
}
