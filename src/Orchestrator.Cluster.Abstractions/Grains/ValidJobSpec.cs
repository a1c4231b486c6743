using System.Text.Json;
using System.Text.RegularExpressions;

namespace Orchestrator.Cluster.Grains.Abstractions;

/// <summary>
/// A <see cref="JobSpec"/> that passed every rule of a job spec; <see cref="From"/> is the only way to make one. The
/// coordinator checks a spec once, where it enters (the control API), and the job grain takes this type, so no inner
/// layer checks again and none can be handed a spec that was never checked. Stored job state keeps the plain
/// <see cref="JobSpec"/>: it was valid when it was stored.
/// </summary>
[GenerateSerializer, Immutable, Alias("Orchestrator.ValidJobSpec")]
public sealed partial class ValidJobSpec
{
    private ValidJobSpec(JobSpec spec) => Spec = spec;

    [Id(0)] public JobSpec Spec { get; private init; }

    public string JobId => Spec.JobId;

    /// <summary>Checks <paramref name="spec"/>; throws <see cref="InvalidJobSpecException"/> naming the first field at fault and what to change.</summary>
    public static ValidJobSpec From(JobSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var jobId = spec.JobId;
        if (!JobIdPattern().IsMatch(jobId))
        {
            throw new InvalidJobSpecException(nameof(JobSpec.JobId),
                $"job id '{jobId}' is not valid: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }

        if (string.IsNullOrWhiteSpace(spec.DataDir))
        {
            throw new InvalidJobSpecException(nameof(JobSpec.DataDir), $"job '{jobId}' has no data dir: pass the prepared dataset directory");
        }

        if (string.IsNullOrWhiteSpace(spec.RunDir))
        {
            throw new InvalidJobSpecException(nameof(JobSpec.RunDir), $"job '{jobId}' has no run dir: pass a directory for checkpoints and logs");
        }

        CheckConfigJson(jobId, spec.ConfigJson);

        if (spec.WorldSize < 1)
        {
            throw new InvalidJobSpecException(nameof(JobSpec.WorldSize), $"job '{jobId}' has world size {spec.WorldSize}: it must be at least 1");
        }

        if (spec.EffectiveMinWorkers < 1 || spec.EffectiveMinWorkers > spec.WorldSize)
        {
            throw new InvalidJobSpecException(nameof(JobSpec.MinWorkers),
                $"job '{jobId}' has min workers {spec.EffectiveMinWorkers}: it must lie between 1 and the world size {spec.WorldSize}");
        }

        if (spec.EffectiveMaxWorkers < spec.WorldSize)
        {
            throw new InvalidJobSpecException(nameof(JobSpec.MaxWorkers),
                $"job '{jobId}' has max workers {spec.EffectiveMaxWorkers}, below its world size {spec.WorldSize}: raise max workers or lower the world size");
        }

        if (spec.MaxRestarts < 0)
        {
            throw new InvalidJobSpecException(nameof(JobSpec.MaxRestarts), $"job '{jobId}' has max restarts {spec.MaxRestarts}: it must be 0 or more");
        }

        return new ValidJobSpec(spec);
    }

    private static void CheckConfigJson(string jobId, string configJson)
    {
        try
        {
            using var document = JsonDocument.Parse(configJson);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidJobSpecException(nameof(JobSpec.ConfigJson),
                    $"job '{jobId}' config is a JSON {document.RootElement.ValueKind}, not an object: pass the training configuration as {{...}}");
            }
        }
        catch (JsonException ex)
        {
            throw new InvalidJobSpecException(nameof(JobSpec.ConfigJson),
                $"job '{jobId}' config is not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}): {ex.Message}");
        }
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex JobIdPattern();
}
