using Orchestrator.Cluster.Grains.Abstractions;
using Orchestrator.EndToEnd.Tests.TestSupport;
using Xunit.Abstractions;

namespace Orchestrator.EndToEnd.Tests.FaultTolerance;

/// <summary>
/// Recovery reads checkpoints from disk, where they can rot: a corrupted latest checkpoint is skipped with a warning
/// and the job recovers from the one before it.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class CheckpointRecoveryTests(ITestOutputHelper output) : IDisposable
{
    private const int Steps = 60;
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(4);
    private readonly TempDirectory _temp = new();

    [Fact]
    public async Task A_corrupted_latest_checkpoint_is_skipped_and_recovery_resumes_from_the_previous_one()
    {
        var data = await SmallCorpus.PrepareAsync(SmallCorpus.Write(_temp.Sub("corpus.txt")), _temp.Sub("data"), "--tokenizer", "char");
        using var cluster = new LocalCluster(_temp.Sub("cluster"), TimeSpan.FromSeconds(4));
        for (var i = 0; i < 3; i++) cluster.AddWorker($"w{i}");
        var run = _temp.Sub("run");
        await cluster.SubmitAsync(FaultyRun.Job("rot", data, run, workers: 2, Steps));

        // Once there are two checkpoints: freeze rank 0 (the only writer) so no newer one can appear, corrupt the
        // newest, then kill rank 0 so the job must recover from the disk.
        var status = await cluster.WaitForAsync("rot", s => s.LatestCheckpoint?.Step >= 2 * FaultyRun.CheckpointInterval, Patience, "two checkpoints");
        var writer = cluster.Workers.Single(w => w.Name == status.Members.Single(m => m.Rank == 0).WorkerId);
        writer.Freeze();
        var latest = TinyGpt.LatestDirectory(run);
        var corrupted = long.Parse(Path.GetFileName(latest)["step-".Length..]);
        using (var weights = File.Open(Path.Combine(latest, "model.safetensors"), FileMode.Open, FileAccess.ReadWrite))
        {
            weights.Seek(-64, SeekOrigin.End);
            weights.Write(new byte[16]);
        }
        writer.KillHard();
        output.WriteLine($"corrupted {latest}, killed {writer.Name} (rank 0) at step {status.Step}");

        await cluster.WaitForCompletionAsync("rot", Patience);
        var rows = MetricsRow.Read(run);
        var restart = Assert.Single(FaultyRun.Restarts(rows));
        Assert.True(restart.ResumedFrom == corrupted - FaultyRun.CheckpointInterval, FaultyRun.DescribeRestarts(rows) + $" (corrupted step {corrupted})");
        var logs = string.Join('\n', cluster.Workers.Select(w => w.Log));
        Assert.Contains($"step-{corrupted:D8}", logs);
        Assert.Contains($"resumed from", logs);
    }

    public void Dispose() => _temp.Dispose();
}
