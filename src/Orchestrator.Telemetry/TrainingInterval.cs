namespace Orchestrator.Telemetry;

/// <summary>
/// What one rank did since its previous report (one log interval): the worker builds it from the trainer's progress
/// report, <see cref="TrainingMetrics.RecordInterval"/> turns it into series. Counts are this rank's share only.
/// </summary>
public sealed record TrainingInterval
{
    public long Step { get; init; }
    public long Steps { get; init; }
    public long Tokens { get; init; }
    public long Samples { get; init; }
    public long SkippedSteps { get; init; }

    /// <summary>Mean wall time of one training step over the interval (evaluation and checkpoints excluded).</summary>
    public double SecondsPerStep { get; init; }

    /// <summary>Mean seconds per step in each part of a step (forward_backward, allreduce_wait, optimizer), where measured.</summary>
    public IReadOnlyDictionary<string, double> PhaseSecondsPerStep { get; init; } = new Dictionary<string, double>();

    public double Loss { get; init; }
    public double LearningRate { get; init; }
    public double GradNorm { get; init; }

    /// <summary>Tokens per second of the whole job, as the trainer measured it.</summary>
    public double JobTokensPerSecond { get; init; }

    /// <summary>Set on the report that follows an evaluation.</summary>
    public double? ValidationLoss { get; init; }

    /// <summary>Model FLOPs of one token's forward and backward pass (<see cref="ModelFlops"/>); 0 when unknown.</summary>
    public double FlopsPerToken { get; init; }
}
