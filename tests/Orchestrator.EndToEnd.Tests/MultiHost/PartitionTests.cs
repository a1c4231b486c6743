using Orchestrator.Cluster.Grains.Abstractions;
using Orchestrator.EndToEnd.Tests.FaultTolerance;
using Orchestrator.EndToEnd.Tests.TestSupport;
using Orchestrator.TestSupport;
using Xunit.Abstractions;

namespace Orchestrator.EndToEnd.Tests.MultiHost;

/// <summary>
/// Network partitions, which loopback cannot show: a host that is alive but unreachable (its bridge port drops every
/// frame), for a worker and for the coordinator.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class PartitionTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(4);
    private readonly TempDirectory _temp = new();

    [NetnsFact]
    public async Task A_cut_worker_host_is_named_the_job_goes_on_without_it_and_it_is_admitted_again_after_heal()
    {
        const int steps = 160;
        var liveness = TimeSpan.FromSeconds(5);
        var data = await SmallCorpus.PrepareAsync(SmallCorpus.Write(_temp.Sub("corpus.txt")), _temp.Sub("data"), "--tokenizer", "char");
        using var box = await ClusterInABox.UpAsync(hosts: 4, linkMbit: 1000);
        using var cluster = await BoxCluster.StartAsync(box, _temp.Sub("cluster"), liveness);
        string faulted = _temp.Sub("faulted"), reference = _temp.Sub("reference");
        // Unfaulted reference: one worker with the same global batch of 12 trains the same model as three.
        await cluster.SubmitAsync(WithGlobalBatch(FaultyRun.Job("reference", data, reference, workers: 1, steps), 12), fromHost: "h4");
        await cluster.SubmitAsync(FaultyRun.Job("cut", data, faulted, workers: 3, steps, minWorkers: 2, maxWorkers: 3), fromHost: "h1");

        // The reference's host leaves once it is done, so the cut job can only grow back by re-admitting the cut host.
        var referenceDone = await cluster.WaitForCompletionAsync("reference", Patience);
        cluster.StopWorker(referenceDone.Members.Single().WorkerId);
        var running = await cluster.WaitForAsync("cut", s => s.State == JobState.Running && s.Members.Count == 3 && s.Step >= 15, Patience, "step 15");
        Assert.True(running.Step < steps - 4 * FaultyRun.CheckpointInterval, $"the reference took so long that the cut job is at step {running.Step} of {steps}");
        var victim = running.Members.Single(m => m.Rank == 1).WorkerId;
        var cutAt = DateTimeOffset.UtcNow;
        await box.CutAsync(victim);
        output.WriteLine($"cut {victim} ({box.Address(victim)}) at step {running.Step}");

        var recovering = await cluster.WaitForAsync("cut", s => s.History.Any(t => t.To == JobState.Recovering), Patience, "recovery");
        var detected = recovering.History.First(t => t.To == JobState.Recovering);
        output.WriteLine($"detected after {(detected.AtUtc - cutAt).TotalSeconds:F1} s: {detected.Reason}");
        Assert.Contains($"'{victim}'", detected.Reason);
        Assert.Contains(box.Address(victim), detected.Reason);
        // Within the liveness timeout, plus the monitor's period and the status poll's own latency.
        Assert.InRange(detected.AtUtc - cutAt, TimeSpan.Zero, liveness + TimeSpan.FromSeconds(10));

        var reformed = await cluster.WaitForAsync("cut", s => s.State == JobState.Running && s.Members.All(m => m.WorkerId != victim), Patience, "a formation without the cut host");
        Assert.Equal(2, reformed.Members.Count);
        await box.HealAsync(victim);
        output.WriteLine($"healed {victim} at step {reformed.Step}");

        var regrown = await cluster.WaitForAsync("cut", s => s.Members.Any(m => m.WorkerId == victim), Patience, "the healed host back");
        var admission = regrown.History.Last(t => t.To == JobState.Forming);
        Assert.Matches($@"admitting {victim} at checkpoint step \d+", admission.Reason);
        output.WriteLine(admission.Reason);

        var done = await cluster.WaitForCompletionAsync("cut", Patience);
        var rows = MetricsRow.Read(faulted);
        Assert.All(FaultyRun.Restarts(rows), r => Assert.Equal(0, r.ResumedFrom % FaultyRun.CheckpointInterval));
        var (faultedLoss, referenceLoss) = (FaultyRun.FinalValidationLoss(faulted), FaultyRun.FinalValidationLoss(reference));
        output.WriteLine($"{FaultyRun.DescribeRestarts(rows)}; final val loss {faultedLoss:F4} vs unfaulted {referenceLoss:F4}; members at the end {done.Members.Count}");
        Assert.InRange(faultedLoss / referenceLoss, 0.98, 1.02);
    }

    [NetnsFact]
    public async Task Workers_keep_training_through_a_20_second_coordinator_partition_and_report_again_after_heal()
    {
        const int steps = 200;
        var data = await SmallCorpus.PrepareAsync(SmallCorpus.Write(_temp.Sub("corpus.txt")), _temp.Sub("data"), "--tokenizer", "char");
        using var box = await ClusterInABox.UpAsync(hosts: 3, linkMbit: 1000);
        // Liveness longer than the partition: the coordinator must not mistake its own isolation for dead workers.
        using var cluster = await BoxCluster.StartAsync(box, _temp.Sub("cluster"), TimeSpan.FromSeconds(45));
        var run = _temp.Sub("run");
        await cluster.SubmitAsync(FaultyRun.Job("isolated", data, run, workers: 3, steps), fromHost: "h2");

        var before = await cluster.WaitForAsync("isolated", s => s.State == JobState.Running && s.Step >= 10, Patience, "step 10");
        await box.CutAsync("coord");
        var stepAtCut = LastLoggedStep(run);
        var probe = ReachesCoordinatorAsync(cluster, "h1", "isolated"); // during the cut, within it
        await Task.Delay(TimeSpan.FromSeconds(20));
        var stepAtHeal = LastLoggedStep(run);
        await box.HealAsync("coord");
        Assert.False(await probe, "status from h1 reached the coordinator through the cut");
        output.WriteLine($"coordinator cut for 20 s: rank 0 logged steps {stepAtCut} -> {stepAtHeal}; the coordinator had step {before.Step}");
        Assert.True(stepAtHeal > stepAtCut, $"training stopped while the coordinator was unreachable (step {stepAtCut} -> {stepAtHeal})\n{cluster.Describe()}");

        // Reports reach the coordinator again: it learns of steps trained during and after the partition.
        var caughtUp = await cluster.WaitForAsync("isolated", s => s.Step > stepAtHeal || s.State == JobState.Completed, Patience, "reports after heal");
        output.WriteLine($"after heal the coordinator has step {caughtUp.Step} ({caughtUp.State})");
        var done = await cluster.WaitForCompletionAsync("isolated", Patience);
        Assert.False(done.History.Any(t => t.To is JobState.Recovering or JobState.Failed),
            string.Join("\n", done.History.Select(t => $"{t.AtUtc:HH:mm:ss} {t.From} -> {t.To}: {t.Reason}")) + "\n" + cluster.Describe());
        var rows = MetricsRow.Read(run);
        Assert.Equal(0, FaultyRun.StepsLost(rows));
        Assert.Equal(steps, rows.Where(r => r.Kind == "train").Max(r => r.Step));
    }

    // A status call that gives up after 15 s counts as not reaching the coordinator.
    private static async Task<bool> ReachesCoordinatorAsync(BoxCluster cluster, string fromHost, string jobId)
    {
        try
        {
            var result = await cluster.Box.CliAsync(fromHost, ["status", jobId, "--coordinator", cluster.ControlAddress], TimeSpan.FromSeconds(15));
            return result.ExitCode == 0;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    // Read while rank 0 appends: a last line still being written is skipped.
    private static long LastLoggedStep(string run)
    {
        var path = Path.Combine(run, "metrics.jsonl");
        if (!File.Exists(path)) return 0;
        long last = 0;
        using var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
        while (reader.ReadLine() is { } line)
        {
            try
            {
                var json = System.Text.Json.JsonDocument.Parse(line).RootElement;
                if (json.GetProperty("kind").GetString() == "train") last = Math.Max(last, json.GetProperty("step").GetInt64());
            }
            catch (System.Text.Json.JsonException)
            {
            }
        }
        return last;
    }

    private static object WithGlobalBatch(object job, int globalBatch)
    {
        var json = System.Text.Json.JsonSerializer.SerializeToNode(job)!;
        json["config"]!["training"]!["global_batch_size"] = globalBatch;
        json["config"]!["training"]!["batch_size"] = globalBatch;
        return json;
    }

    public void Dispose() => _temp.Dispose();
}
