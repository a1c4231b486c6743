namespace Orchestrator.Telemetry;

/// <summary>What the coordinator knows about its workers and jobs at one moment; <see cref="ClusterMetrics"/> exports the latest.</summary>
public sealed record ClusterSnapshot
{
    /// <summary>Registered workers heard from within the liveness timeout.</summary>
    public int WorkersAlive { get; init; }

    /// <summary>Workers registered, live or not.</summary>
    public int WorkersRegistered { get; init; }

    public IReadOnlyList<JobSnapshot> Jobs { get; init; } = [];
}

/// <summary>One job as the coordinator sees it.</summary>
public sealed record JobSnapshot
{
    public string JobId { get; init; } = "";
    public string State { get; init; } = "";
    public bool IsActive { get; init; }
    public int WorkersExpected { get; init; }
    public int WorkersAlive { get; init; }
    public long Recoveries { get; init; }
    public long Step { get; init; }
    public DateTimeOffset? LatestCheckpointUtc { get; init; }
}
