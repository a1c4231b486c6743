using System.Text.Json;
using Orchestrator.Training;

namespace Orchestrator.Cli.Commands;

/// <summary>
/// The warm-up a run gets when nobody chose one: a tenth of the run, at most 100 steps, so <c>--max-steps 20</c> works
/// without also passing <c>--warmup-steps</c>. A warm-up that was chosen is never changed (an impossible one stays an error).
/// </summary>
internal static class AdaptiveWarmup
{
    public static int For(int maxSteps) => Math.Clamp(maxSteps / 10, 0, 100);

    public static RunConfig Apply(RunConfig config) =>
        config with { Training = config.Training with { WarmupSteps = For(config.Training.MaxSteps) } };

    /// <summary>Whether the run configuration JSON <paramref name="json"/> (<c>{"model": ..., "training": ...}</c>) sets warmup_steps.</summary>
    public static bool IsSetIn(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.ValueKind == JsonValueKind.Object
               && document.RootElement.TryGetProperty("training", out var training)
               && training.ValueKind == JsonValueKind.Object
               && training.TryGetProperty("warmup_steps", out _);
    }
}
