using Orchestrator.Cluster.Client;
using Orchestrator.Cluster.Control;
using Orchestrator.Cluster.Grains.Abstractions;
using Orchestrator.Cluster.Hosting;
using Orchestrator.Cluster.Tests.Support;

namespace Orchestrator.Cluster.Tests.Hosting;

/// <summary>A coordinator restarted on the same state directory (the default file store) carries on where it stopped.</summary>
public sealed class DurableStateTests : IDisposable
{
    // Well above the heartbeats' 200 ms: a loaded machine can delay a heartbeat by seconds, and this test must not
    // mistake that for a dead worker.
    private static readonly TimeSpan Liveness = TimeSpan.FromSeconds(5);
    private readonly string _stateDir = Path.Combine(Path.GetTempPath(), $"orchestrator-state-{Guid.NewGuid():N}");

    [Fact]
    public async Task Restarted_coordinator_keeps_jobs_and_catalogs_and_its_workers_reconnect_without_being_declared_dead()
    {
        var clusterId = $"durable-{Guid.NewGuid():N}";
        var settings = CoordinatorSettings.OnFreePorts(clusterId);
        settings["Orchestrator:Coordinator:StateStore"] = "File";
        settings["Orchestrator:Coordinator:StateDirectory"] = _stateDir;
        settings["Orchestrator:Jobs:WorkerLivenessTimeout"] = Liveness.ToString();

        var first = CoordinatorHost.Create([], settings);
        await first.StartAsync();
        Assert.Equal(_stateDir, first.StateLocation);
        // One client for the whole test, as a worker process would have: it must find the restarted coordinator on its own.
        await using var connection = await CoordinatorConnection.ConnectAsync(
            new CoordinatorConnectionOptions { Gateways = first.GatewayEndpoint, ClusterId = clusterId });
        string[] ids = ["dur-a", "dur-b"];
        foreach (var (id, port) in ids.Zip([7811, 7812]))
        {
            await connection.Worker(id).RegisterAsync(new WorkerInfo { Host = "box", GrpcEndpoint = $"127.0.0.1:{port}", Pid = port });
        }

        JobStatus before;
        using (var control = ControlClient.Connect(first.ControlAddress.ToString()))
        {
            var submitted = await control.SubmitAsync(new JobSpec { JobId = "durable-job", DataDir = "/d", RunDir = "/r", WorldSize = 2, MaxRestarts = 0 });
            Assert.Equal(JobState.Forming, submitted.State);
            var job = connection.Job("durable-job");
            foreach (var id in ids)
            {
                await job.ConfirmReadyAsync(id, 0);
            }

            await job.ReportCheckpointAsync("dur-a", new CheckpointRecord { Step = 8, Path = "/r/step-8", Sha256 = new string('b', 64), ValLoss = 2.5 });
            await job.ReportProgressAsync("dur-a", new ProgressReport { Step = 9, Loss = 2.75, TokensPerSecond = 100 });
            before = await control.GetJobAsync("durable-job");
            Assert.Equal(JobState.Running, before.State);
        }

        await first.StopAsync();
        await first.DisposeAsync();
        // Down for longer than the liveness timeout: the stored heartbeats are stale when the job comes back.
        await Task.Delay(Liveness + TimeSpan.FromSeconds(1));

        await using var second = CoordinatorHost.Create([], settings);
        await second.StartAsync();
        using var again = ControlClient.Connect(second.ControlAddress.ToString());

        var restored = await again.GetJobAsync("durable-job");
        Assert.Equal((JobState.Running, before.Version, 9L, 2.75), (restored.State, restored.Version, restored.Step, restored.LastLoss));
        Assert.Equal(before.History.Select(h => h.Reason), restored.History.Select(h => h.Reason));
        Assert.Equal(("/r/step-8", 2.5), (restored.LatestCheckpoint!.Path, restored.LatestCheckpoint.ValLoss));
        Assert.Equal(ids, (await again.ListWorkersAsync()).Select(w => w.WorkerId));

        // The old client reconnects to the new silo on the same gateway port; heartbeats keep both members alive.
        using var heartbeats = new CancellationTokenSource();
        var beating = Task.Run(async () =>
        {
            while (!heartbeats.IsCancellationRequested)
            {
                try
                {
                    foreach (var id in ids) await connection.Worker(id).HeartbeatAsync(9);
                }
                catch (Exception e) when (e is OrleansException or TimeoutException)
                {
                    // Reconnecting.
                }

                await Task.Delay(200);
            }
        });
        var alive = await Eventually.MatchesAsync(() => again.ListWorkersAsync(), ws => ws.All(w => w.Alive), TimeSpan.FromSeconds(20),
            "the workers' old connection to reach the restarted coordinator");
        Assert.All(alive, w => Assert.Equal("durable-job", w.JobId));
        await Task.Delay(Liveness * 2);
        Assert.Equal(JobState.Running, (await again.GetJobAsync("durable-job")).State);

        var completed = await connection.Job("durable-job").ReportCompletedAsync("dur-a", new ProgressReport { Step = 12, Loss = 2.5 });
        await heartbeats.CancelAsync();
        await beating;
        Assert.Equal(JobState.Completed, completed);
        Assert.Equal(JobState.Completed, (await again.GetJobAsync("durable-job")).State);
        await second.StopAsync();
    }

    [Fact]
    public async Task Progress_reports_are_not_written_to_the_state_store_but_a_checkpoint_writes_them()
    {
        var clusterId = $"durable-{Guid.NewGuid():N}";
        var settings = CoordinatorSettings.OnFreePorts(clusterId);
        settings["Orchestrator:Coordinator:StateStore"] = "File";
        settings["Orchestrator:Coordinator:StateDirectory"] = _stateDir;
        settings["Orchestrator:Jobs:WorkerLivenessTimeout"] = Liveness.ToString();
        await using var host = CoordinatorHost.Create([], settings);
        await host.StartAsync();
        await using var connection = await CoordinatorConnection.ConnectAsync(
            new CoordinatorConnectionOptions { Gateways = host.GatewayEndpoint, ClusterId = clusterId });
        await connection.Worker("quiet-a").RegisterAsync(new WorkerInfo { Host = "box", GrpcEndpoint = "127.0.0.1:7821", Pid = 7821 });
        using var control = ControlClient.Connect(host.ControlAddress.ToString());
        await control.SubmitAsync(new JobSpec { JobId = "quiet-job", DataDir = "/d", RunDir = "/r", WorldSize = 1 });
        var job = connection.Job("quiet-job");
        Assert.Equal(JobState.Running, await job.ConfirmReadyAsync("quiet-a", 0));
        var stored = Assert.Single(Directory.GetFiles(_stateDir, "quiet-job.job", SearchOption.AllDirectories));
        var running = await File.ReadAllBytesAsync(stored);

        await job.ReportProgressAsync("quiet-a", new ProgressReport { Step = 5, Loss = 3.5, TokensPerSecond = 50 });
        var reported = await control.GetJobAsync("quiet-job");

        Assert.Equal((5L, 3.5), (reported.Step, reported.LastLoss));
        Assert.Equal(running, await File.ReadAllBytesAsync(stored));
        await job.ReportCheckpointAsync("quiet-a", new CheckpointRecord { Step = 5, Path = "/r/step-5", Sha256 = new string('c', 64) });
        Assert.NotEqual(running, await File.ReadAllBytesAsync(stored));
        await host.StopAsync();
    }

    public void Dispose()
    {
        if (Directory.Exists(_stateDir)) Directory.Delete(_stateDir, recursive: true);
    }
}
