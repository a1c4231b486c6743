namespace Orchestrator.Data.Splitting;

/// <summary>Shares of the corpus for train, val and test; each in (0, 1) and together 1.</summary>
public sealed record SplitFractions(double Train, double Val, double Test)
{
    public static SplitFractions Default { get; } = new(0.9, 0.05, 0.05);
}
