namespace Orchestrator.Cluster.Grains.Abstractions;

/// <summary>
/// A worker process called the coordinator out of order (e.g. polled before registering, or sent an invalid
/// report). It signals a bug in the worker, not a transient condition, so retrying will not help.
/// </summary>
[GenerateSerializer, Alias("Orchestrator.WorkerProtocolException")]
public sealed class WorkerProtocolException(string message) : Exception(message);
