namespace Orchestrator.Training.Checkpoints;

/// <summary>A checkpoint directory that is incomplete or was altered after it was written; the message names the file.</summary>
public sealed class CorruptCheckpointException(string message) : Exception(message);

/// <summary>A checkpoint that is intact but does not fit the model or run it is being loaded into.</summary>
public sealed class CheckpointMismatchException(string message) : Exception(message);

/// <summary>No checkpoint where one was expected (e.g. resuming a run that never wrote one).</summary>
public sealed class CheckpointNotFoundException(string message) : Exception(message);

/// <summary>
/// A checkpoint that could not be written in the background; the message names its directory and the checkpoint that
/// is still <c>latest</c>, so no finished step before it is lost.
/// </summary>
public sealed class CheckpointWriteException(string message, Exception innerException) : Exception(message, innerException);
