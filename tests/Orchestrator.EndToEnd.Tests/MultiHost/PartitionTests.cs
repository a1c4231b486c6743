using Orchestrator.Cluster.Grains.Abstractions;
using Orchestrator.EndToEnd.Tests.FaultTolerance;
using Orchestrator.EndToEnd.Tests.TestSupport;
using Orchestrator.TestSupport;
using Xunit.Abstractions;

namespace Orchestrator.EndToEnd.Tests.MultiHost;

/// <summary>
/// Network partitions, which loopback cannot show: a host that is alive but unreachable (its bridge port drops every
/// frame). Here the coordinator's host.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class PartitionTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(4);
    private readonly TempDirectory _temp = new();

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
