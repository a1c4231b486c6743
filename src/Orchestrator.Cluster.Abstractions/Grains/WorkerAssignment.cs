namespace Orchestrator.Cluster.Grains.Abstractions;

/// <summary>
/// Everything a worker needs to take part in one formation of a job. A job that recovers forms again with a
/// higher <see cref="Attempt"/>, so a worker compares (<see cref="JobId"/>, <see cref="Attempt"/>) with what it
/// is running to know whether an assignment is new.
/// </summary>
[GenerateSerializer, Immutable, Alias("Orchestrator.WorkerAssignment")]
public sealed record WorkerAssignment
{
    [Id(0)] public string JobId { get; init; } = "";

    /// <summary>Formation counter of the job: 0 for the first formation, +1 after each recovery.</summary>
    [Id(1)] public int Attempt { get; init; }

    /// <summary>This worker's rank, 0..WorldSize-1; rank 0 owns checkpoints and reports completion.</summary>
    [Id(2)] public int Rank { get; init; }

    /// <summary>Members of this formation; it differs from <see cref="JobWorldSize"/> after a loss or an admission.</summary>
    [Id(3)] public int WorldSize { get; init; }

    /// <summary>The gRPC endpoint of every member, indexed by rank (this worker's own included), i.e. the ring order.</summary>
    [Id(4)] public IReadOnlyList<string> PeerEndpoints { get; init; } = [];

    /// <summary>The worker id of every member, indexed by rank.</summary>
    [Id(5)] public IReadOnlyList<string> PeerWorkerIds { get; init; } = [];

    /// <summary>The job's <see cref="JobSpec.ConfigJson"/>, verbatim.</summary>
    [Id(6)] public string ConfigJson { get; init; } = "{}";

    [Id(7)] public string DataDir { get; init; } = "";

    [Id(8)] public string RunDir { get; init; } = "";

    /// <summary>The job's <see cref="JobSpec.Resume"/> flag; recoveries always resume.</summary>
    [Id(9)] public bool Resume { get; init; }

    /// <summary>Checkpoint to load before training, when the catalog knows one (recoveries, or resume with a non-empty catalog).</summary>
    [Id(10)] public string? ResumeFromCheckpoint { get; init; }

    /// <summary>
    /// The job's <see cref="JobSpec.WorldSize"/>: the world its batch settings were written for, so the worker can keep
    /// the global batch the job specified however many members this formation has.
    /// </summary>
    [Id(11)] public int JobWorldSize { get; init; }

    /// <summary>Restarts the job has used so far (recoveries from its latest checkpoint), so the run's metrics can say how many it took.</summary>
    [Id(12)] public int Restarts { get; init; }
}
