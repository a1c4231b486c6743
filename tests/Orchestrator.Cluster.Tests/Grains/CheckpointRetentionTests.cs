using Orchestrator.Cluster.Grains;
using Orchestrator.Cluster.Grains.Abstractions;

namespace Orchestrator.Cluster.Tests.Grains;

public sealed class CheckpointRetentionTests
{
    private static CheckpointRecord At(long step, double? valLoss = null) =>
        new() { Step = step, Path = $"/runs/j/ckpt-{step}", Sha256 = new string('a', 64), ValLoss = valLoss };

    private static long[] Steps(IEnumerable<CheckpointRecord> records) => records.Select(r => r.Step).ToArray();

    [Fact]
    public void Keeps_the_newest_k_and_the_best_older_one()
    {
        var all = new[] { At(100, 2.0), At(200, 1.1), At(300, 1.5), At(400, 1.6), At(500, 1.7) };
        var (kept, pruned) = CheckpointRetention.Apply(all, keepLast: 2);
        Assert.Equal([200, 400, 500], Steps(kept));
        Assert.Equal([100, 300], Steps(pruned));
    }

    [Fact]
    public void Keeps_exactly_k_when_the_best_is_among_the_newest()
    {
        var all = new[] { At(100, 2.0), At(200, 1.9), At(300, 1.0), At(400, 1.2) };
        var (kept, pruned) = CheckpointRetention.Apply(all, keepLast: 2);
        Assert.Equal([300, 400], Steps(kept));
        Assert.Equal([100, 200], Steps(pruned));
    }

    [Fact]
    public void Without_validation_losses_keeps_only_the_newest_k_in_step_order_whatever_the_input_order()
    {
        var all = new[] { At(300), At(100), At(400), At(200) };
        var (kept, pruned) = CheckpointRetention.Apply(all, keepLast: 3);
        Assert.Equal([200, 300, 400], Steps(kept));
        Assert.Equal([100], Steps(pruned));
    }

    [Fact]
    public void Ties_on_validation_loss_keep_the_earliest_step_as_best()
    {
        var all = new[] { At(100, 1.0), At(200, 1.0), At(300, 3.0), At(400, 3.0) };
        Assert.Equal(100, CheckpointRetention.Best(all)!.Step);
        var (kept, _) = CheckpointRetention.Apply(all, keepLast: 1);
        Assert.Equal([100, 400], Steps(kept));
    }

    [Fact]
    public void Keeping_fewer_than_one_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => CheckpointRetention.Apply([At(1)], keepLast: 0));
    }
}
