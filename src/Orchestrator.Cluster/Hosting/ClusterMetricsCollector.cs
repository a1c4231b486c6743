using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orchestrator.Cluster.Grains;
using Orchestrator.Cluster.Grains.Abstractions;
using Orchestrator.Telemetry;

namespace Orchestrator.Cluster.Hosting;

/// <summary>
/// Reads the worker registry and every job's status every <see cref="Interval"/> and hands the result to
/// <see cref="ClusterMetrics"/>, so a Prometheus scrape never waits on a grain. Jobs that ended more than
/// <see cref="FinishedJobRetention"/> ago are left out, which keeps the <c>job_id</c> label bounded.
/// </summary>
internal sealed class ClusterMetricsCollector(
    IGrainFactory grains, ClusterMetrics metrics, IOptions<JobPolicyOptions> policy, TimeProvider clock, ILogger<ClusterMetricsCollector> logger)
    : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan FinishedJobRetention = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, clock);
        do
        {
            try
            {
                metrics.Update(await CollectAsync());
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                CoordinatorLog.MetricsNotRefreshed(logger, e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task<ClusterSnapshot> CollectAsync()
    {
        var now = clock.GetUtcNow();
        var workers = await grains.GetWorkerRegistry().ListAsync();
        var alive = workers.Where(w => now - w.LastSeenUtc <= policy.Value.WorkerLivenessTimeout).Select(w => w.WorkerId).ToHashSet();
        var jobIds = await grains.GetJobRegistry().ListAsync();
        var statuses = await Task.WhenAll(jobIds.Select(id => grains.GetJob(id).GetStatusAsync()));
        var jobs = statuses
            .Where(s => !s.IsTerminal || now - s.UpdatedUtc <= FinishedJobRetention)
            .Select(s => new JobSnapshot
            {
                JobId = s.JobId,
                State = s.State.ToString(),
                IsActive = !s.IsTerminal,
                WorkersExpected = s.IsTerminal ? 0 : s.Spec.WorldSize,
                WorkersAlive = s.IsTerminal ? 0 : s.Members.Count(m => alive.Contains(m.WorkerId)),
                Recoveries = s.History.Count(t => t.To == JobState.Recovering),
                Step = s.Step,
                LatestCheckpointUtc = s.LatestCheckpoint?.SavedUtc,
            })
            .ToList();
        return new ClusterSnapshot { WorkersAlive = alive.Count, WorkersRegistered = workers.Count, Jobs = jobs };
    }
}
