namespace Orchestrator.Training.Rollback;

/// <summary>
/// Training kept producing non-finite losses or gradients after every rollback allowed by <c>max_rollbacks</c>: the
/// run cannot make progress as configured. The message says what happened and what to change.
/// </summary>
public sealed class TrainingDivergedException(string message) : Exception(message);
