namespace Orchestrator.Cluster.Grains.Abstractions;

/// <summary>
/// A job id was submitted twice. Ids are never reused so that history and checkpoints stay attributable;
/// resubmit under a new id (with <see cref="JobSpec.Resume"/> and the same run dir to continue training).
/// </summary>
[GenerateSerializer, Alias("Orchestrator.JobAlreadyExistsException")]
public sealed class JobAlreadyExistsException(string message) : Exception(message);
