using Orchestrator.Cluster.Grains.Abstractions;
using Orchestrator.EndToEnd.Tests.FaultTolerance;
using Orchestrator.EndToEnd.Tests.TestSupport;
using Orchestrator.TestSupport;
using Xunit.Abstractions;

namespace Orchestrator.EndToEnd.Tests.MultiHost;

/// <summary>
/// Network partitions, which loopback cannot show: a host that is alive but unreachable (its bridge port drops every
/// frame): a worker's host, and the coordinator's.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class PartitionTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(4);
    private readonly TempDirectory _temp = new();

    [NetnsFact]
    public async Task A_cut_worker_host_is_named_the_job_goes_on_without_it_and_it_is_admitted_again_after_heal()
    {
        // Links of 10 Mbit/s make every step move its ~150 KB of gradients in at least 0.1 s, so the job cannot finish
        // before the cut host is back however idle the machine is; a loaded machine only makes it last longer.
        const int steps = 300, linkMbit = 10;
        var liveness = TimeSpan.FromSeconds(10);
        var data = await SmallCorpus.PrepareAsync(SmallCorpus.Write(_temp.Sub("corpus.txt")), _temp.Sub("data"), "--tokenizer", "char");
        string faulted = _temp.Sub("faulted"), reference = _temp.Sub("reference");
        // The unfaulted run: one process with the same global batch of 12 trains the same model as three workers.
        var referenceRun = TrainReferenceAsync(data, reference, steps);
        using var box = await ClusterInABox.UpAsync(hosts: 3, linkMbit: linkMbit);
        using var cluster = await BoxCluster.StartAsync(box, _temp.Sub("cluster"), liveness);
        await cluster.SubmitAsync(FaultyRun.Job("cut", data, faulted, workers: 3, steps, minWorkers: 2, maxWorkers: 3), fromHost: "h1");

        var running = await cluster.WaitForAsync("cut", s => s.State == JobState.Running && s.Members.Count == 3 && s.Step >= 2 * FaultyRun.CheckpointInterval,
            Patience, "step 20");
        var victim = running.Members.Single(m => m.Rank == 1).WorkerId;
        var cutAt = DateTimeOffset.UtcNow;
        await box.CutAsync(victim);
        output.WriteLine($"cut {victim} ({box.Address(victim)}) at step {running.Step}");

        var recovering = await cluster.WaitForAsync("cut", s => s.History.Any(t => t.To == JobState.Recovering), Patience, "recovery");
        var detected = recovering.History.First(t => t.To == JobState.Recovering);
        output.WriteLine($"detected {(detected.AtUtc - cutAt).TotalSeconds:F1} s after the cut: {detected.Reason}");
        Assert.Contains($"'{victim}'", detected.Reason);
        Assert.Contains($"its host: {box.Address(victim)}", detected.Reason);
        Assert.Contains($"liveness timeout {liveness.TotalSeconds:F0} s", detected.Reason);
        // The liveness timeout after its last heartbeat (at most a heartbeat before the cut), plus the monitor's period;
        // the slack is for a loaded machine's scheduling, not part of the rule.
        Assert.InRange(detected.AtUtc - cutAt, liveness - TimeSpan.FromSeconds(2), liveness + TimeSpan.FromSeconds(30));

        var reformed = await cluster.WaitForAsync("cut", s => s.State == JobState.Running && s.Members.Count > 0 && s.Members.All(m => m.WorkerId != victim),
            Patience, "a formation without the cut host");
        Assert.Equal(2, reformed.Members.Count);
        Assert.Contains(reformed.History, t => t.To == JobState.Forming && t.Reason.Contains("claimed 2 workers") && t.Reason.Contains($"left out '{victim}'"));
        await box.HealAsync(victim);
        output.WriteLine($"healed {victim} at step {reformed.Step}");

        var regrown = await cluster.WaitForAsync("cut", s => s.State == JobState.Running && s.Members.Any(m => m.WorkerId == victim), Patience, "the healed host back");
        var admission = regrown.History.Last(t => t.To == JobState.Forming);
        Assert.Matches($@"admitting {victim} at checkpoint step \d+ \(world size 2 -> 3\)", admission.Reason);
        output.WriteLine(admission.Reason);

        var done = await cluster.WaitForCompletionAsync("cut", Patience);
        Assert.Equal(3, done.Members.Count);
        await referenceRun;
        var rows = MetricsRow.Read(faulted);
        // Every formation went on from a checkpoint: the logged step only ever went back to a checkpoint's step.
        Assert.All(FaultyRun.Restarts(rows), r => Assert.Equal(0, r.ResumedFrom % FaultyRun.CheckpointInterval));
        Assert.Equal(steps, rows.Where(r => r.Kind == "train").Max(r => r.Step));
        var (faultedLoss, referenceLoss) = (FaultyRun.FinalValidationLoss(faulted), FaultyRun.FinalValidationLoss(reference));
        output.WriteLine($"{FaultyRun.DescribeRestarts(rows)}; final val loss {faultedLoss:F4} vs unfaulted {referenceLoss:F4}");
        Assert.InRange(faultedLoss / referenceLoss, 0.98, 1.02);
    }

    /// <summary>The cut job's configuration trained by <c>orchestrator train</c> in one process with the same global batch.</summary>
    private async Task TrainReferenceAsync(string data, string run, int steps)
    {
        var job = System.Text.Json.JsonSerializer.SerializeToNode(FaultyRun.Job("reference", data, run, workers: 1, steps))!;
        var config = job["config"]!;
        config["training"]!["batch_size"] = 12;
        config["training"]!["global_batch_size"] = 12;
        var file = _temp.Sub("reference.json");
        await File.WriteAllTextAsync(file, config.ToJsonString());
        await OrchestratorCli.SucceedAsync(["train", "--data", data, "--out", run, "--config", file], timeout: TimeSpan.FromMinutes(10));
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

    public void Dispose() => _temp.Dispose();
}
