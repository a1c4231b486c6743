using Microsoft.Extensions.Logging;

namespace Orchestrator.Collective.Telemetry;

/// <summary>Structured log events of the collective layer (source-generated, allocation-free when disabled).</summary>
internal static partial class CollectiveLog
{
    [LoggerMessage(1, LogLevel.Information, "Joined group {GroupId} as rank {Rank} of {WorldSize}; sending to {RightEndpoint}, receiving from {LeftEndpoint}")]
    public static partial void Joined(ILogger logger, string groupId, int rank, int worldSize, Uri rightEndpoint, Uri leftEndpoint);

    [LoggerMessage(2, LogLevel.Debug, "Group {GroupId}: rank {PeerRank} at {PeerEndpoint} not ready ({Reason}); retrying")]
    public static partial void HandshakeRetry(ILogger logger, string groupId, int peerRank, Uri peerEndpoint, string reason);

    [LoggerMessage(3, LogLevel.Warning, "Refused collective handshake from rank {CallerRank} for group {GroupId}: {Reason}")]
    public static partial void HandshakeRefused(ILogger logger, string groupId, int callerRank, string reason);

    [LoggerMessage(4, LogLevel.Debug, "Group {GroupId}: operation {Operation} ({Kind}, {Elements} elements) took {ElapsedMs:F2} ms")]
    public static partial void OperationCompleted(ILogger logger, string groupId, ulong operation, string kind, long elements, double elapsedMs);

    [LoggerMessage(5, LogLevel.Error, "Group {GroupId} (rank {Rank}) failed during an operation and is unusable")]
    public static partial void Faulted(ILogger logger, Exception exception, string groupId, int rank);

    // A neighbour leaving between operations is how a job normally ends; it only matters if more work follows.
    [LoggerMessage(8, LogLevel.Information, "Group {GroupId} (rank {Rank}) is no longer usable: {Reason}")]
    public static partial void FaultedWhileIdle(ILogger logger, string groupId, int rank, string reason);

    [LoggerMessage(6, LogLevel.Information, "Left group {GroupId} (rank {Rank}) after {Operations} operations, {PayloadBytesSent} payload bytes sent")]
    public static partial void Closed(ILogger logger, string groupId, int rank, long operations, long payloadBytesSent);

    [LoggerMessage(7, LogLevel.Debug, "Group {GroupId}: rank {ReceiverRank} connected to receive this rank's ring traffic on channel {Channel}")]
    public static partial void OutgoingLinkOpened(ILogger logger, string groupId, int receiverRank, int channel);
}
