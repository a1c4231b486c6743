using Microsoft.Extensions.Logging;

namespace Orchestrator.Training.Checkpoints;

/// <summary>Checkpoint log lines, source-generated and structured (directory and reason as fields).</summary>
internal static partial class CheckpointLog
{
    [LoggerMessage(EventId = 110, Level = LogLevel.Warning,
        Message = "skipping checkpoint {Directory}: {Reason}; trying the next older checkpoint")]
    public static partial void SkippedDamaged(ILogger logger, string directory, string reason);

    [LoggerMessage(EventId = 111, Level = LogLevel.Error,
        Message = "background checkpoint write failed while the run was already stopping: {Reason}")]
    public static partial void WriteFailedWhileStopping(ILogger logger, Exception exception, string reason);
}
