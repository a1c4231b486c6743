using Microsoft.Extensions.Logging;

namespace Orchestrator.Serving;

/// <summary>Structured log events of the generation server (source-generated, so disabled levels cost nothing).</summary>
internal static partial class ServingLog
{
    [LoggerMessage(EventId = 5000, Level = LogLevel.Information,
        Message = "Serving '{Model}' ({Parameters:N0} parameters, {Device}): playground and OpenAI-style API at {Url} (HTTP), gRPC at {GrpcUrl}, metrics at {Url}metrics")]
    public static partial void Serving(ILogger logger, string model, long parameters, string device, Uri url, Uri grpcUrl);

    [LoggerMessage(EventId = 5001, Level = LogLevel.Critical, Message = "The decoding loop stopped: {Reason}")]
    public static partial void DecodingLoopStopped(ILogger logger, Exception exception, string reason);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Error, Message = "A decoding step failed; failing the {Count} requests in the batch: {Reason}")]
    public static partial void DecodingStepFailed(ILogger logger, Exception exception, int count, string reason);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Error, Message = "Generate failed: {Reason}")]
    public static partial void GenerateFailed(ILogger logger, Exception exception, string reason);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Error, Message = "Completion failed: {Reason}")]
    public static partial void CompletionFailed(ILogger logger, Exception exception, string reason);
}
