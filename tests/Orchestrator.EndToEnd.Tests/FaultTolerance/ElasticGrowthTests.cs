using Orchestrator.Cluster.Grains.Abstractions;
using Orchestrator.EndToEnd.Tests.TestSupport;
using Xunit.Abstractions;

namespace Orchestrator.EndToEnd.Tests.FaultTolerance;

/// <summary>
/// A worker that joins a running job is admitted at the next checkpoint, up to max_workers, and the job keeps its
/// global batch (each worker's share shrinks), so the data seen per step does not change.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class ElasticGrowthTests(ITestOutputHelper output) : IDisposable
{
    private const int Steps = 200, GlobalBatch = 12, BlockSize = 32;
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(4);
    private readonly TempDirectory _temp = new();

    [Fact]
    public async Task A_fourth_worker_joining_mid_run_is_admitted_at_the_next_checkpoint_and_the_global_batch_stays_the_same()
    {
        var data = await SmallCorpus.PrepareAsync(SmallCorpus.Write(_temp.Sub("corpus.txt")), _temp.Sub("data"), "--tokenizer", "char");
        using var cluster = new LocalCluster(_temp.Sub("cluster"), TimeSpan.FromSeconds(4));
        for (var i = 0; i < 3; i++) cluster.AddWorker($"w{i}");
        var run = _temp.Sub("run");
        await cluster.SubmitAsync(FaultyRun.Job("grow", data, run, workers: 3, Steps, maxWorkers: 4));

        var joinedAt = (await cluster.WaitForAsync("grow", s => s.State == JobState.Running && s.Step >= 3, Patience, "step 3")).Step;
        cluster.AddWorker("w3");
        output.WriteLine($"w3 started at step {joinedAt}");

        var grown = await cluster.WaitForAsync("grow", s => s.State == JobState.Running && s.Members.Count == 4, Patience, "4 members");
        var done = await cluster.WaitForCompletionAsync("grow", Patience);
        Assert.Equal(4, done.Members.Count);
        Assert.DoesNotContain(done.History, t => t.To is JobState.Recovering or JobState.Failed);
        var admission = done.History.Last(t => t.To == JobState.Forming);
        Assert.Contains("w3", admission.Reason);

        // Admitted at a checkpoint boundary: the new formation resumed from that checkpoint, so at most the steps
        // trained while the members were being stopped are repeated (often none).
        var rows = MetricsRow.Read(run);
        var restarts = FaultyRun.Restarts(rows);
        Assert.True(restarts.Count <= 1, FaultyRun.DescribeRestarts(rows));
        Assert.All(restarts, r => Assert.Equal(0, r.ResumedFrom % FaultyRun.CheckpointInterval));
        Assert.True(FaultyRun.StepsLost(rows) <= FaultyRun.CheckpointInterval, FaultyRun.DescribeRestarts(rows));
        Assert.Matches(@"admitting w3 at checkpoint step \d+", admission.Reason);
        output.WriteLine($"{admission.Reason}; {FaultyRun.DescribeRestarts(rows)}; members at the end {grown.Members.Count}");

        // 3 workers x 4 sequences before and 4 workers x 3 after: the same 12 sequences a step.
        var last = rows.Last(r => r.Kind == "train");
        Assert.Equal(Steps, last.Step);
        Assert.Equal((long)Steps * GlobalBatch * BlockSize, (long)last.Number("tokens_seen"));
    }

    public void Dispose() => _temp.Dispose();
}
