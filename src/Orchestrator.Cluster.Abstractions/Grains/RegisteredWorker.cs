namespace Orchestrator.Cluster.Grains.Abstractions;

/// <summary>The registry's entry for one worker: whether it is free, and when it was last heard from.</summary>
[GenerateSerializer, Immutable, Alias("Orchestrator.RegisteredWorker")]
public sealed record RegisteredWorker
{
    [Id(0)] public string WorkerId { get; init; } = "";

    [Id(1)] public WorkerInfo Info { get; init; } = new();

    [Id(2)] public int Incarnation { get; init; }

    /// <summary>The job that claimed the worker, null while it is free.</summary>
    [Id(3)] public string? JobId { get; init; }

    [Id(4)] public DateTimeOffset LastSeenUtc { get; init; }

    public bool IsFree => JobId is null;
}
