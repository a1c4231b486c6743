using Orchestrator.Cluster.Grains;

namespace Orchestrator.Cluster.Grains.Abstractions;

/// <summary>A snapshot of a job: what the control API returns and what WatchJob streams.</summary>
[GenerateSerializer, Immutable, Alias("Orchestrator.JobStatus")]
public sealed record JobStatus
{
    [Id(0)] public JobSpec Spec { get; init; } = new();

    [Id(1)] public JobState State { get; init; }

    /// <summary>Formation counter: 0 for the first formation, +1 per recovery.</summary>
    [Id(2)] public int Attempt { get; init; }

    /// <summary>Current formation ordered by rank (kept after the job ends, for the record).</summary>
    [Id(3)] public IReadOnlyList<JobMember> Members { get; init; } = [];

    /// <summary>Rank 0's last reported step.</summary>
    [Id(4)] public long Step { get; init; }

    /// <summary>Rank 0's last reported training loss.</summary>
    [Id(5)] public double? LastLoss { get; init; }

    /// <summary>Sum over members of their last reported tokens/s.</summary>
    [Id(6)] public double TokensPerSecond { get; init; }

    [Id(7)] public CheckpointRecord? LatestCheckpoint { get; init; }

    /// <summary>Why the job last failed or last had to recover (kept after a successful recovery, for the record).</summary>
    [Id(8)] public string? FailureReason { get; init; }

    [Id(9)] public IReadOnlyList<JobTransition> History { get; init; } = [];

    /// <summary>Incremented on every change, so watchers can tell whether anything happened.</summary>
    [Id(10)] public long Version { get; init; }

    [Id(11)] public DateTimeOffset SubmittedUtc { get; init; }

    [Id(12)] public DateTimeOffset UpdatedUtc { get; init; }

    /// <summary>
    /// Why a Pending or Recovering job has not formed yet, e.g. "waiting for workers: 1 free and live, needs at
    /// least 2, since 13:20:05 UTC"; null otherwise.
    /// </summary>
    [Id(13)] public string? WaitingReason { get; init; }

    public string JobId => Spec.JobId;

    /// <summary>The rank holding the job up (see <see cref="Straggler"/>), once every member has reported its timing; null with one worker.</summary>
    public Straggler? Slowest => Straggler.Find(Members);

    public bool IsTerminal => JobStateMachine.IsTerminal(State);
}
