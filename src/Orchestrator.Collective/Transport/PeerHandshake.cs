using System.Diagnostics;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Orchestrator.Collective.Errors;
using Orchestrator.Collective.Protos;
using Orchestrator.Collective.Telemetry;

namespace Orchestrator.Collective.Transport;

/// <summary>
/// The client half of the handshake, run by a rank against its left neighbour (whose data it will receive):
/// retries while the neighbour's server or group is still starting
/// (UNAVAILABLE), gives up for good on a refusal (FAILED_PRECONDITION) or after the connect timeout. Returns how many
/// channels the neighbour sends on.
/// </summary>
internal static class PeerHandshake
{
    /// <summary>Trailer in which a refusing server names the protocol version it speaks.</summary>
    public const string VersionTrailer = "collective-protocol-version";

    public const uint CurrentVersion = (uint)ProtocolVersion.Current;

    public static async Task<int> RunAsync(CollectivePeer.CollectivePeerClient client, RingMembership membership,
        CollectiveOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var request = new HandshakeRequest
        {
            ProtocolVersion = CurrentVersion,
            GroupId = membership.GroupId,
            SenderRank = membership.LeftRank,
            ReceiverRank = membership.Rank,
            WorldSize = membership.WorldSize,
        };
        var started = Stopwatch.GetTimestamp();
        var pause = TimeSpan.FromMilliseconds(25);
        while (true)
        {
            var left = options.ConnectTimeout - Stopwatch.GetElapsedTime(started);
            Exception retryable;
            string detail;
            var attempt = left < TimeSpan.FromSeconds(5) ? left : TimeSpan.FromSeconds(5);
            try
            {
                var reply = await client.HandshakeAsync(request, deadline: DateTime.UtcNow + attempt, cancellationToken: cancellationToken)
                    .ConfigureAwait(false);
                if (reply.ProtocolVersion != CurrentVersion)
                    throw new ProtocolMismatchException(membership.LeftEndpoint, CurrentVersion, reply.ProtocolVersion);
                return reply.Channels switch
                {
                    0 => 1, // a peer from before channels were announced sends on one
                    >= 1 and <= CollectiveOptions.MaxChannelsPerLink => reply.Channels,
                    _ => throw new CollectiveMismatchException(
                        $"Rank {membership.LeftRank} at {membership.LeftEndpoint} announced {reply.Channels} channels per link; " +
                        $"{CollectiveOptions.SectionName}:{nameof(CollectiveOptions.ChannelsPerLink)} allows 1 to {CollectiveOptions.MaxChannelsPerLink}."),
                };
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.FailedPrecondition)
            {
                throw Refusal(membership, ex);
            }
            catch (RpcException ex) when (ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded)
            {
                (retryable, detail) = (ex, ex.Status.Detail);
            }
            catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                // The channel throws OperationCanceledException (ThrowOperationCanceledOnCancellation) when this attempt's
                // deadline passes, e.g. a peer too busy to answer within 5 s on a loaded machine: that is a retry, not a failure.
                (retryable, detail) = (ex, $"no answer within {attempt.TotalSeconds:F0} s");
            }

            left = options.ConnectTimeout - Stopwatch.GetElapsedTime(started);
            if (left <= TimeSpan.Zero)
                throw new PeerFailedException(membership.LeftRank, membership.LeftEndpoint,
                    $"Rank {membership.LeftRank} at {membership.LeftEndpoint} did not accept group '{membership.GroupId}' within " +
                    $"{options.ConnectTimeout} ({detail}). Start that worker, check the address, or raise " +
                    $"{CollectiveOptions.SectionName}:{nameof(CollectiveOptions.ConnectTimeout)}.", retryable);
            CollectiveLog.HandshakeRetry(logger, membership.GroupId, membership.LeftRank, membership.LeftEndpoint, detail);
            await Task.Delay(pause < left ? pause : left, cancellationToken).ConfigureAwait(false);
            pause = TimeSpan.FromMilliseconds(Math.Min(pause.TotalMilliseconds * 2, 500));
        }
    }

    /// <summary>Raised by the server side: refuses a peer and tells it which version this side speaks.</summary>
    public static RpcException Refuse(string detail) =>
        new(new Status(StatusCode.FailedPrecondition, detail), new Metadata { { VersionTrailer, CurrentVersion.ToString(System.Globalization.CultureInfo.InvariantCulture) } });

    public static CollectiveException Refusal(RingMembership membership, RpcException ex)
    {
        var peerVersion = ex.Trailers.GetValue(VersionTrailer);
        if (peerVersion is not null && uint.TryParse(peerVersion, System.Globalization.CultureInfo.InvariantCulture, out var version)
            && version != CurrentVersion)
            return new ProtocolMismatchException(membership.LeftEndpoint, CurrentVersion, version);
        return new CollectiveMismatchException(
            $"Rank {membership.LeftRank} at {membership.LeftEndpoint} refused to join group '{membership.GroupId}' with rank " +
            $"{membership.Rank}: {ex.Status.Detail}");
    }
}
