namespace Orchestrator.Cluster.Grains.Abstractions;

/// <summary>A submitted <see cref="JobSpec"/> is unusable; <see cref="Field"/> names the spec field to fix.</summary>
[GenerateSerializer, Alias("Orchestrator.InvalidJobSpecException")]
public sealed class InvalidJobSpecException(string field, string message) : Exception(message)
{
    [Id(0)] public string Field { get; private set; } = field;
}
