using Microsoft.Extensions.Logging;
using Orchestrator.Cluster.Grains.Abstractions;

namespace Orchestrator.Cluster.Hosting;

/// <summary>
/// After a silo starts, touches every known job so live ones (Pending, Forming, Running, Recovering) reactivate
/// and resume their monitor: with Redis storage a coordinator restart would otherwise leave a Pending job
/// dormant until someone asked about it.
/// </summary>
internal sealed class JobReactivation(IGrainFactory grains, ILogger<JobReactivation> logger) : IStartupTask
{
    public async Task Execute(CancellationToken cancellationToken)
    {
        var jobIds = await grains.GetJobRegistry().ListAsync();
        var statuses = await Task.WhenAll(jobIds.Select(id => grains.GetJob(id).GetStatusAsync()));
        var live = statuses.Count(s => !s.IsTerminal);
        if (live > 0)
        {
            CoordinatorLog.JobsReactivated(logger, live, statuses.Length);
        }
    }
}
