using Microsoft.Extensions.Logging;

namespace Orchestrator.Worker;

/// <summary>Structured log events of the worker process (source-generated, so disabled levels cost nothing).</summary>
internal static partial class WorkerLog
{
    [LoggerMessage(EventId = 3000, Level = LogLevel.Information, Message = "worker {WorkerId} registered with {Coordinator}; collective service at {Endpoint}")]
    public static partial void Registered(ILogger logger, string workerId, string coordinator, Uri endpoint);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "job {JobId} attempt {Attempt}: rank {Rank} of {WorldSize}")]
    public static partial void Assigned(ILogger logger, string jobId, int attempt, int rank, int worldSize);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "job {JobId}: rank {Rank} finished after {Steps} steps")]
    public static partial void AssignmentFinished(ILogger logger, string jobId, int rank, long steps);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "job {JobId}: rank {Rank} abandoned its work")]
    public static partial void AssignmentAbandoned(ILogger logger, string jobId, int rank);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Error, Message = "job {JobId}: rank {Rank} failed: {Reason}")]
    public static partial void AssignmentFailed(ILogger logger, Exception exception, string jobId, int rank, string reason);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Warning, Message = "could not report progress to the coordinator: {Reason}")]
    public static partial void ReportFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Information, Message = "job {JobId}: stop requested ({Reason})")]
    public static partial void StopRequested(ILogger logger, string? jobId, string? reason);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Information, Message = "metrics served at {Endpoint}")]
    public static partial void MetricsServed(ILogger logger, Uri endpoint);

    [LoggerMessage(EventId = 3008, Level = LogLevel.Warning, Message = "coordinator unreachable ({What}, try {Attempt}; silent for {SilentSeconds:F0} s), retrying: {Reason}")]
    public static partial void CoordinatorUnreachable(ILogger logger, string what, int attempt, double silentSeconds, string reason);

    [LoggerMessage(EventId = 3009, Level = LogLevel.Information, Message = "coordinator {Coordinator} reachable again after {SilentSeconds:F0} s")]
    public static partial void CoordinatorReachable(ILogger logger, string coordinator, double silentSeconds);

    [LoggerMessage(EventId = 3010, Level = LogLevel.Warning, Message = "worker {WorkerId} is not registered with the coordinator (its state was lost): registering again")]
    public static partial void Reregistering(ILogger logger, string workerId);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Information, Message = "job {JobId}: global batch pinned to {GlobalBatchSize} sequences (job world size {JobWorldSize}, this formation {WorldSize})")]
    public static partial void GlobalBatchPinned(ILogger logger, string jobId, int globalBatchSize, int jobWorldSize, int worldSize);
}
