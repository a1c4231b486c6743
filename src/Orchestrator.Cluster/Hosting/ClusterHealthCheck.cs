using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orchestrator.Cluster.Grains.Abstractions;

namespace Orchestrator.Cluster.Hosting;

/// <summary>Healthy when the silo answers a grain call (the worker registry), not merely when the process is up.</summary>
internal sealed class ClusterHealthCheck(IGrainFactory grains) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var workers = await grains.GetWorkerRegistry().ListAsync().WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
        return HealthCheckResult.Healthy($"{workers.Count} workers registered");
    }
}
