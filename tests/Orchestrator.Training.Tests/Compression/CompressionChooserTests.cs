using Orchestrator.Training.Compression;

namespace Orchestrator.Training.Tests.Compression;

/// <summary>
/// The auto rule on the benchmark's model: 6 layers × 384 wide, ~10.7 M gradient floats, 4 workers, 1 s of compute
/// per step of which about half can hide communication.
/// </summary>
public sealed class CompressionChooserTests
{
    private const long Dense = 10_700_000;

    // What PowerSGD sends of this model per rank r: factors of the 2-D weights plus ~40 k floats of vectors.
    private static readonly Dictionary<int, long> PowerSgd = new() { [8] = 560_000, [4] = 300_000, [2] = 170_000, [1] = 105_000 };

    /// <summary>A ring all-reduce of B bytes on N=4 ranks moves 1.5 B per rank over a link of the given speed.</summary>
    private static LinkMeasurement Link(double megabitsPerSecond, double computeSeconds = 1.0, double latency = 0.002) => new(
        ComputeSeconds: computeSeconds,
        LatencySeconds: latency,
        SecondsPerByte: 1.5 * 8 / (megabitsPerSecond * 1e6),
        HideableSeconds: computeSeconds / 2,
        DenseElements: Dense,
        CollectivesPerStep: 8,
        PowerSgdElements: PowerSgd,
        PowerSgdSecondsPerRank: 0.0005);

    [Fact]
    public void A_fast_link_keeps_whole_float32_gradients()
    {
        var choice = CompressionChooser.Choose(Link(megabitsPerSecond: 100_000));
        Assert.Equal("none", choice.Label);
        Assert.True(choice.PredictedExposedShare < CompressionChooser.ExposedShareTarget);
        Assert.Contains("most faithful", choice.Reason);
    }

    [Fact]
    public void A_link_where_float32_just_misses_the_target_halves_the_bytes_with_bf16()
    {
        // float32: 42.8 MB × 1.5 × 8 / 1e9 = 0.51 s at 1 Gbit/s, 0.5 s hideable: 1-2 % exposed at 1.1 Gbit/s would pass,
        // so at 0.5 Gbit/s float32 exposes ~0.5 s (33 %) while bf16 (0.51 s) hides behind backward.
        var choice = CompressionChooser.Choose(Link(megabitsPerSecond: 500));
        Assert.Equal("bf16", choice.Label);
    }

    [Fact]
    public void A_slow_link_takes_the_highest_powersgd_rank_that_hides_its_communication()
    {
        // 200 Mbit/s: float32 ~2.6 s, bf16 ~1.3 s of communication against 0.5 s hideable; rank 8 sends 2.2 MB (~0.13 s).
        var choice = CompressionChooser.Choose(Link(megabitsPerSecond: 200));
        Assert.Equal("powersgd-r8", choice.Label);
        Assert.Equal(8, choice.PowerSgdRank);
        Assert.Contains("powersgd-r1", choice.Reason); // the reason lists every candidate's prediction
    }

    [Fact]
    public void When_no_mode_meets_the_target_the_fastest_predicted_one_wins()
    {
        // 2 Mbit/s and little compute: even rank 1 (0.4 MB, ~2.5 s) cannot hide, and it is the fastest.
        var choice = CompressionChooser.Choose(Link(megabitsPerSecond: 2, computeSeconds: 0.2));
        Assert.Equal("powersgd-r1", choice.Label);
        Assert.True(choice.PredictedExposedShare > CompressionChooser.ExposedShareTarget);
        Assert.Contains("predicted fastest", choice.Reason);
    }

    [Fact]
    public void Latency_counts_against_powersgd_which_makes_three_calls_per_segment()
    {
        // A fast link but a 50 ms round trip per call: 24 PowerSGD calls cost more than 8 bf16 ones carrying 21 MB.
        var choice = CompressionChooser.Choose(Link(megabitsPerSecond: 2000, latency: 0.05) with { HideableSeconds = 0 });
        Assert.Equal("bf16", choice.Label);
    }
}
