namespace Orchestrator.Cluster.Grains.Abstractions;

/// <summary>
/// A worker's training progress. Workers send one per logging interval (not per step): every report is
/// written to grain storage.
/// </summary>
[GenerateSerializer, Immutable, Alias("Orchestrator.ProgressReport")]
public sealed record ProgressReport
{
    /// <summary>Optimizer steps completed.</summary>
    [Id(0)] public long Step { get; init; }

    /// <summary>Training loss of the last step on this rank (rank 0's becomes the job's loss).</summary>
    [Id(1)] public double Loss { get; init; }

    /// <summary>Tokens this rank processed per second; the job's throughput is the sum over ranks.</summary>
    [Id(2)] public double TokensPerSecond { get; init; }

    /// <summary>This rank's own step time, all-reduce wait and send wait over the interval; null when not measured (a final report).</summary>
    [Id(3)] public StepTiming? Timing { get; init; }

    public void Validate(string workerId)
    {
        if (Step < 0)
        {
            throw new WorkerProtocolException($"worker '{workerId}' reported step {Step}: steps count from 0");
        }

        if (!(TokensPerSecond >= 0) || double.IsInfinity(TokensPerSecond))
        {
            throw new WorkerProtocolException($"worker '{workerId}' reported {TokensPerSecond} tokens/s: it must be a finite non-negative number");
        }

        Timing?.Validate(workerId);
    }
}
