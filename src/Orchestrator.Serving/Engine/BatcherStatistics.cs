namespace Orchestrator.Serving.Engine;

/// <summary>
/// Counters of the decoding loop since start. They show batching at work: with continuous batching, N concurrent
/// requests of T tokens take about T decode forwards, not N × T.
/// </summary>
public sealed record BatcherStatistics(
    long PrefillForwards,
    long DecodeForwards,
    long GeneratedTokens,
    int LargestDecodeBatch,
    int Running,
    int Waiting)
{
    public long Forwards => PrefillForwards + DecodeForwards;
}
