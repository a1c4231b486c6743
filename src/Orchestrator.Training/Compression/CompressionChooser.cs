namespace Orchestrator.Training.Compression;

/// <summary>What <c>gradient_compression auto</c> measured on this job's formation (averaged over its ranks).</summary>
/// <param name="ComputeSeconds">Forward, backward and optimizer time of one step, without waiting for exchanges.</param>
/// <param name="LatencySeconds">Time of one small all-reduce: what every collective costs whatever its size.</param>
/// <param name="SecondsPerByte">Extra all-reduce time per byte of buffer, on these links and this world size.</param>
/// <param name="HideableSeconds">Communication a step can hide behind backward (0 without overlap).</param>
/// <param name="DenseElements">Gradient floats of one step, all parameters.</param>
/// <param name="CollectivesPerStep">All-reduce calls per step without PowerSGD (one per model segment).</param>
/// <param name="PowerSgdElements">Floats on the wire per step with PowerSGD, by rank (P's, Q's and the uncompressed rest).</param>
/// <param name="PowerSgdSecondsPerRank">Extra compute of PowerSGD's matrix products per step, per unit of rank.</param>
public sealed record LinkMeasurement(
    double ComputeSeconds,
    double LatencySeconds,
    double SecondsPerByte,
    double HideableSeconds,
    long DenseElements,
    int CollectivesPerStep,
    IReadOnlyDictionary<int, long> PowerSgdElements,
    double PowerSgdSecondsPerRank);

/// <summary>The mode <c>auto</c> chose, with the predicted share of the step spent waiting on the network, and why.</summary>
public sealed record CompressionChoice(string Mode, int? PowerSgdRank, double PredictedExposedShare, string Reason)
{
    /// <summary>The label on metrics: <c>none</c>, <c>bf16</c> or <c>powersgd-rN</c>.</summary>
    public string Label => PowerSgdRank is { } r ? $"{Mode}-r{r}" : Mode;
}

/// <summary>
/// The rule behind <c>gradient_compression auto</c>: from the measured link and compute times, predict each mode's
/// exposed communication (all-reduce time not hidden behind backward, plus PowerSGD's own compute) and take the most
/// faithful mode — none, then bf16, then PowerSGD at rank 8, 4, 2, 1 — that keeps it under
/// <see cref="ExposedShareTarget"/> of the step. When none does, the fastest predicted mode wins.
/// </summary>
public static class CompressionChooser
{
    public const double ExposedShareTarget = 0.10;

    /// <summary>PowerSGD ranks auto considers, most faithful first.</summary>
    public static readonly IReadOnlyList<int> Ranks = [8, 4, 2, 1];

    public static CompressionChoice Choose(LinkMeasurement link)
    {
        ArgumentNullException.ThrowIfNull(link);
        var candidates = new List<(string Mode, int? Rank, double Exposed, double Step)>
        {
            Predict("none", null, link.DenseElements * 4.0, link.CollectivesPerStep, 0, link),
            Predict("bf16", null, link.DenseElements * 2.0, link.CollectivesPerStep, 0, link),
        };
        foreach (var rank in Ranks)
        {
            if (link.PowerSgdElements.TryGetValue(rank, out var elements))
                candidates.Add(Predict("powersgd", rank, elements * 4.0, 3 * link.CollectivesPerStep, rank * link.PowerSgdSecondsPerRank, link));
        }

        var within = candidates.FirstOrDefault(c => c.Exposed < ExposedShareTarget * c.Step);
        var fastest = candidates.MinBy(c => c.Step);
        var chosen = within.Mode is not null ? within : fastest;
        var name = chosen.Rank is { } r ? $"powersgd rank {r}" : chosen.Mode;
        var table = string.Join(", ", candidates.Select(c =>
            $"{(c.Rank is { } cr ? $"powersgd-r{cr}" : c.Mode)} {Percent(c.Exposed / c.Step)}"));
        var reason = within.Mode is not null
            ? $"{name} is the most faithful mode whose predicted exposed communication stays under {Percent(ExposedShareTarget)} of the step"
            : $"no mode keeps exposed communication under {Percent(ExposedShareTarget)} of the step; {name} is predicted fastest";
        var speed = link.SecondsPerByte > 0 ? $"{8 / link.SecondsPerByte / 1e6:F0} Mbit/s" : "too fast to measure";
        reason += $" (compute {link.ComputeSeconds * 1000:F0} ms/step, all-reduce {speed} effective, " +
                  $"latency {link.LatencySeconds * 1000:F1} ms; predicted exposed share: {table})";
        return new CompressionChoice(chosen.Mode, chosen.Rank, chosen.Exposed / chosen.Step, reason);
    }

    private static (string, int?, double, double) Predict(string mode, int? rank, double bytes, int collectives, double extraCompute, LinkMeasurement link)
    {
        var communication = collectives * link.LatencySeconds + bytes * link.SecondsPerByte;
        var exposed = Math.Max(0, communication - link.HideableSeconds) + extraCompute;
        return (mode, rank, exposed, link.ComputeSeconds + exposed);
    }

    private static string Percent(double share) => $"{share * 100:F1} %";
}
