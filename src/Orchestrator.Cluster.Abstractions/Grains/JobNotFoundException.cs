namespace Orchestrator.Cluster.Grains.Abstractions;

/// <summary>No job with the given id was ever submitted to this cluster.</summary>
[GenerateSerializer, Alias("Orchestrator.JobNotFoundException")]
public sealed class JobNotFoundException(string message) : Exception(message);
