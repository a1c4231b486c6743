using Orchestrator.Cluster.Grains.Abstractions;

namespace Orchestrator.Cluster.Grains;

/// <summary>Persistent state of <see cref="WorkerRegistryGrain"/>: every registered worker by id.</summary>
[GenerateSerializer, Alias("Orchestrator.WorkerRegistryState")]
public sealed class WorkerRegistryState
{
    [Id(0)] public Dictionary<string, RegisteredWorker> Workers { get; set; } = new(StringComparer.Ordinal);
}
