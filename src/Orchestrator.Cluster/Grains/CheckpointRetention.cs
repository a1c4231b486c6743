using Orchestrator.Cluster.Grains.Abstractions;

namespace Orchestrator.Cluster.Grains;

/// <summary>
/// Which checkpoints to keep: the newest <c>keepLast</c> by step, plus the one with the lowest validation loss
/// (earliest step on ties) so the best model survives however long training goes on.
/// </summary>
public static class CheckpointRetention
{
    /// <summary>Splits <paramref name="checkpoints"/> into kept and pruned lists, each by ascending step.</summary>
    public static (IReadOnlyList<CheckpointRecord> Kept, IReadOnlyList<CheckpointRecord> Pruned) Apply(
        IEnumerable<CheckpointRecord> checkpoints, int keepLast)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(keepLast, 1);
        var byStep = checkpoints.OrderBy(c => c.Step).ToList();
        var best = Best(byStep);
        var newest = byStep.Skip(Math.Max(0, byStep.Count - keepLast)).ToHashSet();
        var kept = byStep.Where(c => newest.Contains(c) || ReferenceEquals(c, best)).ToList();
        var pruned = byStep.Where(c => !newest.Contains(c) && !ReferenceEquals(c, best)).ToList();
        return (kept, pruned);
    }

    /// <summary>The checkpoint with the lowest validation loss (earliest step on ties), or null when none has one.</summary>
    public static CheckpointRecord? Best(IEnumerable<CheckpointRecord> checkpoints) =>
        checkpoints.Where(c => c.ValLoss.HasValue)
            .OrderBy(c => c.ValLoss!.Value)
            .ThenBy(c => c.Step)
            .FirstOrDefault();
}
