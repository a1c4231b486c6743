namespace Orchestrator.Cluster.Grains.Abstractions;

/// <summary>A worker as the coordinator sees it, for operators and for the job's liveness checks.</summary>
[GenerateSerializer, Immutable, Alias("Orchestrator.WorkerStatus")]
public sealed record WorkerStatus
{
    [Id(0)] public string WorkerId { get; init; } = "";

    /// <summary>Null until the worker registered.</summary>
    [Id(1)] public WorkerInfo? Info { get; init; }

    /// <summary>Incremented by every registration, so a restarted process is told apart from the one a job claimed.</summary>
    [Id(2)] public int Incarnation { get; init; }

    /// <summary>Last registration or heartbeat.</summary>
    [Id(3)] public DateTimeOffset? LastSeenUtc { get; init; }

    /// <summary>The job the worker is assigned to, null while free.</summary>
    [Id(4)] public string? JobId { get; init; }

    [Id(5)] public int? Rank { get; init; }

    /// <summary>Step from the last heartbeat.</summary>
    [Id(6)] public long Step { get; init; }

    /// <summary>The reason of the last failure this worker reported (kept after it is freed).</summary>
    [Id(7)] public string? LastError { get; init; }

    [Id(8)] public WorkerDirectiveKind Directive { get; init; }

    /// <summary>Heard from within the coordinator's liveness timeout (<c>Orchestrator:Jobs:WorkerLivenessTimeout</c>).</summary>
    [Id(9)] public bool Alive { get; init; }
}
