using Orchestrator.Cluster.Grains.Abstractions;

namespace Orchestrator.Cluster.Grains;

/// <summary>Persistent state of <see cref="CheckpointCatalogGrain"/>: retained checkpoints by ascending step.</summary>
[GenerateSerializer, Alias("Orchestrator.CheckpointCatalogState")]
public sealed class CheckpointCatalogState
{
    [Id(0)] public List<CheckpointRecord> Checkpoints { get; set; } = [];
}
