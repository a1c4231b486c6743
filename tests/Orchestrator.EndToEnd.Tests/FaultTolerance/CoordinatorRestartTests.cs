using System.Diagnostics;
using System.Text.Json;
using Orchestrator.Cluster.Grains.Abstractions;
using Orchestrator.EndToEnd.Tests.TestSupport;
using Xunit.Abstractions;

namespace Orchestrator.EndToEnd.Tests.FaultTolerance;

/// <summary>
/// The coordinator process is SIGKILLed mid-run and started again on the same ports and state directory: the workers
/// keep training through the outage (the ring does not need the coordinator), reconnect, and the job finishes as if
/// nothing had happened, with no recovery and a checkpoint the other commands load. A coordinator that does not come
/// back makes its workers exit with an error once their loss timeout has passed.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class CoordinatorRestartTests(ITestOutputHelper output) : IDisposable
{
    private const int Steps = 200;
    private static readonly TimeSpan Liveness = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);
    private readonly TempDirectory _temp = new();

    [Fact]
    public async Task A_job_completes_with_a_loadable_checkpoint_when_the_coordinator_is_killed_and_restarted_mid_run()
    {
        var data = await SmallCorpus.PrepareAsync(SmallCorpus.Write(_temp.Sub("corpus.txt")), _temp.Sub("data"), "--tokenizer", "char");
        using var cluster = new LocalCluster(_temp.Sub("cluster"), Liveness);
        cluster.AddWorker("cr-w0");
        cluster.AddWorker("cr-w1");
        var run = _temp.Sub("run");
        await cluster.SubmitAsync(FaultyRun.Job("restarted", data, run, workers: 2, Steps, maxRestarts: 0));

        var before = await cluster.WaitForAsync("restarted", s => s.State == JobState.Running && s.LatestCheckpoint is not null, Patience, "the first checkpoint");
        output.WriteLine($"kill -9 coordinator at step {before.Step}");
        cluster.RestartCoordinator();

        var done = await cluster.WaitForCompletionAsync("restarted", Patience);

        output.WriteLine($"completed at step {done.Step}, checkpoint {done.LatestCheckpoint?.Path}");
        Assert.Equal(Steps, done.Step);
        // Nothing was lost or re-formed: the same formation ran to the end with its restart budget of 0 untouched.
        Assert.Equal(0, done.Attempt);
        Assert.DoesNotContain(done.History, t => t.To == JobState.Recovering);
        Assert.Equal(["cr-w0", "cr-w1"], done.Members.Select(m => m.WorkerId));
        Assert.Equal(before.History.Select(t => t.Reason), done.History.Take(before.History.Count).Select(t => t.Reason));
        Assert.Equal(Steps, done.LatestCheckpoint!.Step);
        var workerLogs = cluster.Workers[0].Log + cluster.Workers[1].Log;
        Assert.Contains("coordinator unreachable", workerLogs);
        Assert.Contains("reachable again after", workerLogs);

        var status = await OrchestratorCli.SucceedAsync("status", "restarted", "--coordinator", cluster.ControlAddress);
        Assert.Matches($@"(?m)^restarted\s+Completed\s+2\s+{Steps}\s", status.Stdout);

        var eval = await OrchestratorCli.SucceedAsync("eval", TinyGpt.Latest(run), "--data", data, "--split", "val", "--threads", "1");
        var loss = JsonDocument.Parse(eval.LastStdoutLine).RootElement.GetProperty("loss").GetDouble();
        Assert.InRange(loss, 1.0, Math.Log(65));
        Assert.Equal($"step-{Steps:D8}", File.ReadAllText(TinyGpt.Latest(run)).Trim());
    }

    [Fact]
    public async Task A_job_short_of_workers_says_why_in_status_and_a_worker_gives_up_when_the_coordinator_stays_away_past_its_loss_timeout()
    {
        var data = await SmallCorpus.PrepareAsync(SmallCorpus.Write(_temp.Sub("corpus.txt")), _temp.Sub("data"), "--tokenizer", "char");
        using var cluster = new LocalCluster(_temp.Sub("cluster"), Liveness);
        var worker = cluster.AddWorker("lonely", "--coordinator-loss-timeout", "3");
        var deadline = DateTime.UtcNow + Patience;
        while (!worker.Log.Contains("worker lonely registered with"))
        {
            Assert.True(DateTime.UtcNow < deadline && !worker.HasExited, "the worker never registered\n" + cluster.Describe());
            await Task.Delay(100);
        }

        await cluster.SubmitAsync(FaultyRun.Job("short", data, _temp.Sub("run"), workers: 2, Steps));
        var status = await OrchestratorCli.SucceedAsync("status", "short", "--coordinator", cluster.ControlAddress);
        Assert.Matches(@"(?m)^short\s+Pending\s", status.Stdout);
        Assert.Matches(@"(?m)^  waiting for workers: 1 free and live, needs at least 2, since \d\d:\d\d:\d\d UTC$", status.Stdout);

        cluster.Coordinator.KillHard();
        var outage = Stopwatch.StartNew();
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await worker.WaitForExitAsync(patience.Token);

        output.WriteLine($"worker exited {outage.Elapsed.TotalSeconds:F1} s after the coordinator died");
        // The 3 s count from the last heartbeat that got through, up to one heartbeat (0.5 s) before the kill.
        Assert.InRange(outage.Elapsed, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(45));
        Assert.Matches(@"exited [1-9]", worker.Describe());
        Assert.Contains($"error: worker 'lonely' lost the coordinator at {cluster.GatewayAddress}: nothing got through for", worker.Log);
        Assert.Contains("--coordinator-loss-timeout 3 s", worker.Log);
        // It says what it was trying: a retry warning when a heartbeat failed fast, or, when the heartbeat hung until
        // the loss timeout ran out, the final error naming it as the last try.
        Assert.Matches(@"coordinator unreachable \(heartbeat|last try: heartbeat", worker.Log);
    }

    public void Dispose() => _temp.Dispose();
}
