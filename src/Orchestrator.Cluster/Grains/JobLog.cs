using Microsoft.Extensions.Logging;
using Orchestrator.Cluster.Grains.Abstractions;

namespace Orchestrator.Cluster.Grains;

/// <summary>
/// Structured log events of the job grain (source-generated). Operators grep these to follow a job through
/// failures: which worker was lost and why, how the job recovered, who was admitted, why it is waiting.
/// </summary>
internal static partial class JobLog
{
    [LoggerMessage(EventId = 4000, Level = LogLevel.Information, Message = "Job {JobId} submitted: world size {WorldSize} (min {MinWorkers}, max {MaxWorkers})")]
    public static partial void Submitted(ILogger logger, string jobId, int worldSize, int minWorkers, int maxWorkers);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Job {JobId}: {From} -> {To} ({Reason})")]
    public static partial void Moved(ILogger logger, string jobId, JobState? from, JobState to, string reason);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Job {JobId}: lost worker {WorkerId} (rank {Rank}): {Reason}")]
    public static partial void MemberLost(ILogger logger, string jobId, string workerId, int rank, string reason);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "Job {JobId}: recovering from the latest checkpoint ({Checkpoint}), restart {Restart} of {MaxRestarts}: {Reason}")]
    public static partial void Recovering(ILogger logger, string jobId, string checkpoint, int restart, int maxRestarts, string reason);

    [LoggerMessage(EventId = 4011, Level = LogLevel.Warning,
        Message = "Job {JobId}: worker '{WorkerId}' (rank {Rank} of the lost formation) has not been heard from since the failure: presumed dead, re-forming without it")]
    public static partial void LeftOut(ILogger logger, string jobId, string workerId, int rank);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Information, Message = "Job {JobId}: admitting {Workers} at checkpoint step {Step}: world size {OldWorldSize} -> {NewWorldSize}")]
    public static partial void Admitting(ILogger logger, string jobId, string workers, long step, int oldWorldSize, int newWorldSize);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Information, Message = "Job {JobId} is {State}: {Reason}")]
    public static partial void Waiting(ILogger logger, string jobId, JobState state, string reason);

    [LoggerMessage(EventId = 4012, Level = LogLevel.Information,
        Message = "Job {JobId}: ignoring a failure report from {WorkerId} for attempt {Attempt} (the job is at attempt {CurrentAttempt}): {Reason}")]
    public static partial void StaleFailure(ILogger logger, string jobId, string workerId, int attempt, int currentAttempt, string reason);

    [LoggerMessage(EventId = 4013, Level = LogLevel.Warning,
        Message = "Job {JobId}: worker '{WorkerId}' cannot run this job and is left out of its formations from now on: {Reason}")]
    public static partial void Excluded(ILogger logger, string jobId, string workerId, string reason);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Information, Message = "Job {JobId}: ignoring stale ready from {WorkerId} (attempt {Attempt}; job is {State} at attempt {CurrentAttempt})")]
    public static partial void StaleReady(ILogger logger, string jobId, string workerId, int attempt, JobState state, int currentAttempt);
}
