using System.Diagnostics;

namespace OverlapProbe;

/// <summary>
/// Stopwatch timestamps of one training step as the trainer's synchronizer saw them: the end of the previous step's
/// loss sum, each gradient exchange's hand-over and completion, and this step's loss sum.
/// </summary>
internal sealed record StepTiming(long PreviousBoundary, long[] ExchangeStarts, long[] ExchangeEnds, long SumStart, long SumEnd)
{
    private long LastEnd => ExchangeEnds.Max();

    /// <summary>From the end of one step's loss sum to the next: the period of the training loop.</summary>
    public double CycleMs => Ms(PreviousBoundary, SumEnd);

    /// <summary>
    /// From the last hand-over (backward has just finished: nothing is left to overlap with) to the last completion:
    /// the communication time the step really waits for.
    /// </summary>
    public double ExposedMs => Ms(ExchangeStarts[^1], LastEnd);

    /// <summary>From the first hand-over to the last completion: how long gradients were in flight.</summary>
    public double InFlightMs => Ms(ExchangeStarts[0], LastEnd);

    /// <summary>Each exchange from its hand-over to its completion, summed (overlapping exchanges each count in full).</summary>
    public double SumOfExchangesMs => ExchangeStarts.Zip(ExchangeEnds, (s, e) => Ms(s, e)).Sum();

    /// <summary>From the end of the previous step to the first hand-over: optimizer, data, forward and (all or the first segment of) backward.</summary>
    public double BeforeFirstExchangeMs => Ms(PreviousBoundary, ExchangeStarts[0]);

    /// <summary>The two-value loss / non-finite sum every step makes after its gradients.</summary>
    public double LossSumMs => Ms(SumStart, SumEnd);

    public int Exchanges => ExchangeStarts.Length;

    private static double Ms(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;
}
