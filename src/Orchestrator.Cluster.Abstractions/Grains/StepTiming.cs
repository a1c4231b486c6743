namespace Orchestrator.Cluster.Grains.Abstractions;

/// <summary>
/// A rank's mean seconds per training step over its last log interval: the whole step, the part it waited for the
/// exchanges after backward (waiting for the others), and the part its own sends waited on its link to the next rank.
/// <see cref="Straggler"/> reads these to name the rank that holds the job up.
/// </summary>
[GenerateSerializer, Immutable, Alias("Orchestrator.StepTiming")]
public sealed record StepTiming
{
    [Id(0)] public double StepSeconds { get; init; }

    [Id(1)] public double AllReduceWaitSeconds { get; init; }

    [Id(2)] public double SendWaitSeconds { get; init; }

    /// <summary>Time the rank spent on its own work rather than waiting for the others: the step less its all-reduce wait.</summary>
    public double ComputeSeconds => Math.Max(0, StepSeconds - AllReduceWaitSeconds);

    public void Validate(string workerId)
    {
        foreach (var (name, value) in new[] { ("step", StepSeconds), ("all-reduce wait", AllReduceWaitSeconds), ("send wait", SendWaitSeconds) })
        {
            if (!(value >= 0) || double.IsInfinity(value))
            {
                throw new WorkerProtocolException($"worker '{workerId}' reported a {name} time of {value} s per step: it must be a finite non-negative number");
            }
        }
    }
}
