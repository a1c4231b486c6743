using System.Text.Json;
using System.Text.RegularExpressions;

namespace Orchestrator.Cluster.Grains.Abstractions;

/// <summary>
/// What an operator asks the cluster to train. The coordinator never looks inside <see cref="ConfigJson"/>:
/// it travels verbatim to every worker, so grains stay free of model and tensor concerns.
/// </summary>
[GenerateSerializer, Immutable, Alias("Orchestrator.JobSpec")]
public sealed partial record JobSpec
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

    /// <summary>Throws <see cref="InvalidJobSpecException"/> naming the first field at fault and what to change.</summary>
    public void Validate()
    {
        if (!JobIdPattern().IsMatch(JobId))
        {
            throw new InvalidJobSpecException(nameof(JobId),
                $"job id '{JobId}' is not valid: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }

        if (string.IsNullOrWhiteSpace(DataDir))
        {
            throw new InvalidJobSpecException(nameof(DataDir), $"job '{JobId}' has no data dir: pass the prepared dataset directory");
        }

        if (string.IsNullOrWhiteSpace(RunDir))
        {
            throw new InvalidJobSpecException(nameof(RunDir), $"job '{JobId}' has no run dir: pass a directory for checkpoints and logs");
        }

        ValidateConfigJson();

        if (WorldSize < 1)
        {
            throw new InvalidJobSpecException(nameof(WorldSize), $"job '{JobId}' has world size {WorldSize}: it must be at least 1");
        }

        if (EffectiveMinWorkers < 1 || EffectiveMinWorkers > WorldSize)
        {
            throw new InvalidJobSpecException(nameof(MinWorkers),
                $"job '{JobId}' has min workers {EffectiveMinWorkers}: it must lie between 1 and the world size {WorldSize}");
        }

        if (EffectiveMaxWorkers < WorldSize)
        {
            throw new InvalidJobSpecException(nameof(MaxWorkers),
                $"job '{JobId}' has max workers {EffectiveMaxWorkers}, below its world size {WorldSize}: raise max workers or lower the world size");
        }

        if (MaxRestarts < 0)
        {
            throw new InvalidJobSpecException(nameof(MaxRestarts), $"job '{JobId}' has max restarts {MaxRestarts}: it must be 0 or more");
        }
    }

    private void ValidateConfigJson()
    {
        try
        {
            using var document = JsonDocument.Parse(ConfigJson);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidJobSpecException(nameof(ConfigJson),
                    $"job '{JobId}' config is a JSON {document.RootElement.ValueKind}, not an object: pass the training configuration as {{...}}");
            }
        }
        catch (JsonException ex)
        {
            throw new InvalidJobSpecException(nameof(ConfigJson),
                $"job '{JobId}' config is not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}): {ex.Message}");
        }
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex JobIdPattern();
}
