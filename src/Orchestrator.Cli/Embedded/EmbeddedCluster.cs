using Orchestrator.Cluster.Control;
using Orchestrator.Cluster.Grains.Abstractions;
using Orchestrator.Cluster.Hosting;
using Orchestrator.Common.Networking;
using Orchestrator.Common.Security;
using Orchestrator.Training;

namespace Orchestrator.Cli.Embedded;

/// <summary>
/// <c>train --workers N</c> on one machine: the real distributed path in miniature. A coordinator (Orleans silo and
/// control API) runs in this process on free loopback ports, N worker processes join it, the job is submitted through
/// the control API and watched until it ends; then everything is shut down and the run directory is left behind.
/// A random cluster token guards both gRPC APIs; workers get it through their environment, never their command line.
/// A worker process that dies while the job runs is replaced (see <see cref="LocalWorkerPool"/>) and the job recovers
/// from its latest checkpoint, up to <c>--max-restarts</c> times; with <c>--min-workers</c> below N it goes on with the
/// survivors meanwhile and takes the replacement back at its next checkpoint.
/// </summary>
internal static class EmbeddedCluster
{
    private static readonly TimeSpan WorkerExitGrace = TimeSpan.FromSeconds(30);

    public static async Task<int> TrainAsync(RunConfig config, string dataDir, string runDir, int workers, bool resume,
        int maxRestarts, int minWorkers, CancellationToken cancellationToken)
    {
        var ports = FreePorts.Take(4);
        // A fresh secret per run: nothing else on this machine can join or drive the embedded cluster.
        var clusterToken = ClusterToken.Generate();
        await using var coordinator = CoordinatorHost.Create([], new Dictionary<string, string?>
        {
            ["Orchestrator:Coordinator:SiloPort"] = ports[0].ToString(),
            ["Orchestrator:Coordinator:GatewayPort"] = ports[1].ToString(),
            ["Orchestrator:Coordinator:ControlPort"] = ports[2].ToString(),
            ["Orchestrator:Coordinator:HealthPort"] = ports[3].ToString(),
            ["Orchestrator:Security:ClusterToken"] = clusterToken,
            // The embedded coordinator lives and dies with this command, so there is nothing to resume from its state; on
            // disk, a crashed run's job would only come back to compete for the next run's workers. Resume uses --resume.
            ["Orchestrator:Coordinator:StateStore"] = "Memory",
            ["Logging:LogLevel:Default"] = "Warning",
            // The silo's start-up advice (server GC, watchdog on a busy CPU) is noise for a local run.
            ["Logging:LogLevel:Orleans"] = "Error",
        });
        await coordinator.StartAsync(cancellationToken);
        Console.Error.WriteLine($"coordinator: gateway {coordinator.GatewayEndpoint}, control {coordinator.ControlAddress}; starting {workers} workers");

        // A worker lost for good before the job ever ran ends the wait: without it the job would wait for ever.
        using var workerLost = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        WorkerProcess? lostBeforeRunning = null;
        var running = false;
        var pool = new LocalWorkerPool(workers, maxRestarts, i => WorkerProcess.Start($"worker-{i}", $"local-{i}",
        [
            "--coordinator", coordinator.GatewayEndpoint,
            "--threads", config.Training.Threads.ToString(),
            "--device", config.Training.Device,
            "--exit-after-job",
        ], new Dictionary<string, string>
        {
            [ClusterToken.EnvironmentVariable] = clusterToken,
            // Loopback between processes of one command, guarded by the token: certificates a user exported for a real
            // cluster would make the workers speak TLS to this plain coordinator, so the children do not inherit them.
            [MutualTlsOptions.CertificateEnvironmentVariable] = "",
            [MutualTlsOptions.KeyEnvironmentVariable] = "",
            [MutualTlsOptions.CaEnvironmentVariable] = "",
        }), onNotReplaced: lost =>
        {
            if (Volatile.Read(ref running)) return;
            lostBeforeRunning = lost;
            workerLost.Cancel();
        });
        try
        {
            using var control = ControlClient.Connect(coordinator.ControlAddress.ToString(), clusterToken);
            var jobId = $"train-{DateTime.UtcNow:yyyyMMdd-HHmmss}";
            await control.SubmitAsync(new JobSpec
            {
                JobId = jobId,
                DataDir = dataDir,
                RunDir = runDir,
                ConfigJson = config.ToJson(),
                WorldSize = workers,
                MinWorkers = minWorkers,
                // The job's restarts and the pool's replacements share one budget: a lost worker costs one of each.
                MaxRestarts = maxRestarts,
                Resume = resume,
            }, cancellationToken);

            JobStatus? last;
            try
            {
                last = await FollowAsync(control, jobId, () => Volatile.Write(ref running, true), workerLost.Token);
            }
            // The watch ends as a cancelled call (RpcException or OperationCanceledException, depending on where it was).
            catch (Exception) when (lostBeforeRunning is { } dead && workerLost.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new InvalidOperationException(
                    $"{dead.Name} exited with code {dead.ExitCode} before the job ran and all {maxRestarts} restarts are used (--max-restarts); see its output above");
            }

            pool.Close();
            // The last formation's members leave on their own once released; any other worker (a replacement that
            // came too late to be claimed) waits for a job that will not come.
            var members = last?.Members.Select(m => m.WorkerId).ToHashSet() ?? [];
            foreach (var process in pool.Processes)
                if (!members.Contains(process.WorkerId) || !await process.WaitForExitAsync(WorkerExitGrace)) process.Kill();

            var restarts = last?.History.Count(t => t.To == JobState.Recovering) ?? 0;
            var used = $"{restarts} of {maxRestarts} restarts used, {pool.Replacements} worker process(es) replaced";

            if (last?.State != JobState.Completed)
            {
                Console.Error.WriteLine($"error: job {jobId} ended {last?.State} ({used}): {last?.FailureReason ?? "no reason reported"}");
                return 1;
            }
            Console.Error.WriteLine($"job {jobId}: {used}");
            Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(new
            {
                job = jobId,
                state = last.State.ToString(),
                steps = last.Step,
                final_train_loss = last.LastLoss,
                tokens_per_s = last.TokensPerSecond,
                checkpoint = last.LatestCheckpoint?.Path,
                workers,
                restarts,
                replaced_workers = pool.Replacements,
            }));
            return 0;
        }
        finally
        {
            pool.Dispose();
            await coordinator.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>Prints the job's state changes and waiting reasons until it ends; returns its last status.</summary>
    private static async Task<JobStatus?> FollowAsync(ControlClient control, string jobId, Action onRunning, CancellationToken cancellationToken)
    {
        JobStatus? last = null;
        await foreach (var status in control.WatchAsync(jobId, cancellationToken))
        {
            if (last?.State != status.State)
                Console.Error.WriteLine($"job {jobId}: {status.State}{(status.FailureReason is { } why ? $" ({why})" : "")}");
            if (status.WaitingReason is { } waiting && waiting != last?.WaitingReason)
                Console.Error.WriteLine($"job {jobId}: {waiting}");
            last = status;
            if (status.State is JobState.Completed or JobState.Failed or JobState.Cancelled) break;
            if (status.State == JobState.Running) onRunning();
        }
        return last;
    }
}
