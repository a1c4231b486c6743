using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orchestrator.Cluster.Client;
using Orchestrator.Cluster.Grains.Abstractions;
using Orchestrator.Collective;
using Orchestrator.Telemetry;
using Orchestrator.Worker.Hosting;

namespace Orchestrator.Worker;

/// <summary>
/// What a worker process does once its host (<see cref="WorkerHost"/>) listens and is connected: registers with the
/// coordinator, heartbeats, and carries out the directives it gets back (prepare and run an assignment, stop it). The coordinator decides; the worker
/// only ever acts on the latest directive, so a lost message is repaired by the next heartbeat. A coordinator that goes
/// away (restart, network cut) is waited for up to <see cref="WorkerOptions.CoordinatorLossTimeout"/> while the current
/// assignment keeps training (see <see cref="CoordinatorLink"/>).
/// </summary>
public sealed class WorkerAgent(
    IOptions<WorkerOptions> configured, CollectiveNode collective, WorkerEndpoints endpoints, IClusterClient client,
    TrainingMetrics trainingMetrics, ILoggerFactory loggers)
{
    private readonly ILogger _logger = loggers.CreateLogger("Orchestrator.Worker");
    private readonly WorkerOptions _options = configured.Value;

    /// <summary>
    /// Registers with the coordinator and follows its directives until <paramref name="cancellationToken"/> fires or an
    /// <c>--exit-after-job</c> worker's job ends, then unregisters. The host must have started (ports bound, client connected).
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var metricsEndpoint = endpoints.Metrics;
        if (metricsEndpoint is not null) WorkerLog.MetricsServed(_logger, metricsEndpoint);
        // Recorded only where they are served, as before the worker had one host.
        var metrics = metricsEndpoint is null ? null : trainingMetrics;
        var endpoint = endpoints.Collective;
        var coordinator = new CoordinatorConnection(client, _options.Coordinator);
        var link = new CoordinatorLink(coordinator, _options, _logger, TimeProvider.System);
        var me = coordinator.Worker(_options.WorkerId);
        var info = new WorkerInfo
        {
            Host = _options.AdvertisedHost,
            GrpcEndpoint = endpoint.ToString().TrimEnd('/'),
            Device = _options.Device,
            // 0 means "the job's setting, else every core": the coordinator is told what this worker can give.
            Threads = _options.Threads > 0 ? _options.Threads : Environment.ProcessorCount,
            Pid = Environment.ProcessId,
        };
        await link.CallAsync("register", () => me.RegisterAsync(info), cancellationToken);
        WorkerLog.Registered(_logger, _options.WorkerId, _options.Coordinator, endpoint);

        AssignmentRun? current = null;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var directive = await HeartbeatAsync(link, me, info, current?.Step ?? 0, cancellationToken);
                switch (directive.Kind)
                {
                    case WorkerDirectiveKind.Prepare or WorkerDirectiveKind.Run when directive.Assignment is { } assignment:
                        if (current is null || !current.Matches(assignment))
                        {
                            await StopAsync(current);
                            current = new AssignmentRun(assignment, _options, link, collective, metrics, loggers);
                            WorkerLog.Assigned(_logger, assignment.JobId, assignment.Attempt, assignment.Rank, assignment.WorldSize);
                        }
                        // Confirmed again on every Prepare heartbeat: the job ignores repeats, and a confirmation lost
                        // to a coordinator restart is made good.
                        if (directive.Kind == WorkerDirectiveKind.Prepare && current.InputFault() is { } fault)
                            await link.CallAsync("report that this worker cannot run the job",
                                () => coordinator.Job(assignment.JobId).ReportFailureAsync(_options.WorkerId, assignment.Attempt, fault, workerAtFault: true), cancellationToken);
                        else if (directive.Kind == WorkerDirectiveKind.Prepare)
                            await link.CallAsync("confirm ready", () => coordinator.Job(assignment.JobId).ConfirmReadyAsync(_options.WorkerId, assignment.Attempt), cancellationToken);
                        if (directive.Kind == WorkerDirectiveKind.Run && current.Completion.IsCompleted && !current.Started)
                            current.Start(cancellationToken);
                        break;
                    case WorkerDirectiveKind.Stop when current is not null && (directive.JobId is null || directive.JobId == current.Assignment.JobId):
                        WorkerLog.StopRequested(_logger, directive.JobId, directive.Reason);
                        await StopAsync(current);
                        // A recovering job stops its members and re-forms, usually with them: only the job's end lets
                        // an --exit-after-job worker go, or `train --workers N` would lose its survivors at every recovery.
                        if (_options.ExitAfterJob && await JobEndedAsync(link, coordinator, current.Assignment.JobId, cancellationToken)) return;
                        current = null;
                        break;
                }

                // A finished rank keeps heartbeating until the coordinator releases it: leaving early would look like a
                // lost member while rank 0 is still writing the final checkpoint, and fail the job.
                if (_options.ExitAfterJob && directive.Kind == WorkerDirectiveKind.Idle && current is { Started: true, Completion.IsCompleted: true })
                    return;
                await Task.Delay(_options.HeartbeatInterval, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            await StopAsync(current);
            await UnregisterQuietly(me);
        }
    }

    /// <summary>
    /// One heartbeat, retried through the link. A coordinator that lost this worker's registration (memory state, or
    /// someone unregistered it) gets it again, so the worker stays claimable.
    /// </summary>
    private async Task<WorkerDirective> HeartbeatAsync(CoordinatorLink link, IWorkerGrain me, WorkerInfo info, long step, CancellationToken cancellationToken)
    {
        try
        {
            return await link.CallAsync("heartbeat", () => me.HeartbeatAsync(step), cancellationToken);
        }
        catch (WorkerProtocolException)
        {
            WorkerLog.Reregistering(_logger, _options.WorkerId);
            await link.CallAsync("register", () => me.RegisterAsync(info), cancellationToken);
            return await link.CallAsync("heartbeat", () => me.HeartbeatAsync(step), cancellationToken);
        }
    }

    private static async Task<bool> JobEndedAsync(CoordinatorLink link, CoordinatorConnection coordinator, string jobId, CancellationToken cancellationToken)
    {
        var status = await link.CallAsync("read the job's state", () => coordinator.Job(jobId).GetStatusAsync(), cancellationToken);
        return status.IsTerminal;
    }

    private static async Task StopAsync(AssignmentRun? run)
    {
        if (run is null) return;
        run.Abandon();
        await run.Completion;
    }

    private async Task UnregisterQuietly(IWorkerGrain me)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await me.UnregisterAsync().WaitAsync(timeout.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException or OrleansException)
        {
            WorkerLog.ReportFailed(_logger, $"unregister: {e.Message}");
        }
    }
}
