namespace Orchestrator.Cluster.Grains;

/// <summary>Persistent state of <see cref="JobRegistryGrain"/>: job ids in submission order.</summary>
[GenerateSerializer, Alias("Orchestrator.JobRegistryState")]
public sealed class JobRegistryState
{
    [Id(0)] public List<string> JobIds { get; set; } = [];
}
