namespace Orchestrator.Telemetry;

/// <summary>
/// <c>Orchestrator:Telemetry</c>: settings of the metrics every process exports. The same names are used by the
/// <c>worker --peak-tflops</c> flag and the Helm values.
/// </summary>
public sealed record TelemetryOptions
{
    public const string SectionName = "Orchestrator:Telemetry";

    /// <summary>
    /// Peak dense FLOP/s of this process's device (e.g. 989e12 for an H100's bf16 tensor cores). Model FLOPs
    /// utilisation is exported only when it is set: no library can tell a CPU's or GPU's real peak.
    /// </summary>
    public double? PeakFlops { get; init; }

    public void Validate()
    {
        if (PeakFlops is { } peak && !(peak > 0 && double.IsFinite(peak)))
            throw new ArgumentException($"{SectionName}:PeakFlops (--peak-tflops) must be a positive number of FLOP/s, got {peak}");
    }
}
