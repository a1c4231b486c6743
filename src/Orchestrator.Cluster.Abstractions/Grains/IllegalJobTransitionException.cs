namespace Orchestrator.Cluster.Grains.Abstractions;

/// <summary>
/// Something asked a job to move between two states the <see cref="JobStateMachine"/> does not connect,
/// e.g. cancelling a job that already completed.
/// </summary>
[GenerateSerializer, Alias("Orchestrator.IllegalJobTransitionException")]
public sealed class IllegalJobTransitionException(string message) : Exception(message);
