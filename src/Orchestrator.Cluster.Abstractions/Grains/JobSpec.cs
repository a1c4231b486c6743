namespace Orchestrator.Cluster.Grains.Abstractions;

/// <summary>
/// What an operator asks the cluster to train. The coordinator never looks inside <see cref="ConfigJson"/>:
/// it travels verbatim to every worker, so grains stay free of model and tensor concerns. This is what a client fills in;
/// the coordinator checks it once, where it enters, into a <see cref="ValidJobSpec"/>, the only form the job grain takes.
/// </summary>
[GenerateSerializer, Immutable, Alias("Orchestrator.JobSpec")]
public sealed record JobSpec
{
    /// <summary>Unique, file- and key-safe name: 1-64 of letters, digits, '.', '_', '-', starting with a letter or digit.</summary>
    [Id(0)] public string JobId { get; init; } = "";

    /// <summary>Prepared dataset directory, as every worker sees it (shared or replicated storage).</summary>
    [Id(1)] public string DataDir { get; init; } = "";

    /// <summary>Directory for checkpoints and logs, as every worker sees it.</summary>
    [Id(2)] public string RunDir { get; init; } = "";

    /// <summary>Model and training configuration as a JSON object, passed to workers untouched.</summary>
    [Id(3)] public string ConfigJson { get; init; } = "{}";

    /// <summary>How many workers the job wants; formation claims up to this many.</summary>
    [Id(4)] public int WorldSize { get; init; } = 1;

    /// <summary>Fewest workers the job accepts when forming (null: <see cref="WorldSize"/>, i.e. not elastic).</summary>
    [Id(5)] public int? MinWorkers { get; init; }

    /// <summary>Upper bound the world size is checked against (null: <see cref="WorldSize"/>); the coordinator never claims more than <see cref="WorldSize"/>.</summary>
    [Id(6)] public int? MaxWorkers { get; init; }

    /// <summary>Workers should resume from the newest checkpoint they find (the catalog's latest is passed when known).</summary>
    [Id(7)] public bool Resume { get; init; }

    /// <summary>How many times a failed job re-forms from its latest checkpoint before it is marked Failed.</summary>
    [Id(8)] public int MaxRestarts { get; init; }

    public int EffectiveMinWorkers => MinWorkers ?? WorldSize;

    public int EffectiveMaxWorkers => MaxWorkers ?? WorldSize;
}
