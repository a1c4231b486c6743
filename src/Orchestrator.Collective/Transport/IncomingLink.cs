using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Orchestrator.Collective.Errors;
using Orchestrator.Collective.Protos;

namespace Orchestrator.Collective.Transport;

/// <summary>
/// The ring link from the left neighbour: one Exchange call per channel the neighbour announced, each on its own
/// connection and open for the group's lifetime, whose response streams carry every chunk the neighbour sends this
/// rank. One reader loop per channel sorts them into the <see cref="Inbox"/>; a stream ending or breaking is reported
/// once, as a <see cref="PeerFailedException"/>.
/// </summary>
internal sealed class IncomingLink : IAsyncDisposable
{
    private readonly RingMembership _membership;
    private readonly GrpcChannel[] _channels;
    private readonly AsyncServerStreamingCall<ReceivedChunk>[] _calls;
    private readonly CancellationTokenSource _abort;
    private readonly Inbox _inbox;
    private readonly Action<CollectiveException> _onFailure;
    private readonly Task[] _readers;
    private volatile bool _closing;

    private IncomingLink(RingMembership membership, GrpcChannel[] channels, AsyncServerStreamingCall<ReceivedChunk>[] calls,
        CancellationTokenSource abort, Inbox inbox, Action<CollectiveException> onFailure)
    {
        _membership = membership;
        _channels = channels;
        _calls = calls;
        _abort = abort;
        _inbox = inbox;
        _onFailure = onFailure;
        _readers = new Task[calls.Length];
        for (var i = 0; i < calls.Length; i++)
        {
            var channel = i;
            _readers[i] = Task.Run(() => ReadLoopAsync(channel));
        }
    }

    /// <summary>How many channels the left neighbour sends on (it said so in the handshake).</summary>
    public int Channels => _calls.Length;

    /// <summary>
    /// Handshakes with the left neighbour (retrying while it starts), opens one call per channel it announced and
    /// waits until the neighbour has accepted them all.
    /// </summary>
    public static async Task<IncomingLink> ConnectAsync(RingMembership membership, CollectiveOptions options, Inbox inbox,
        ILoggerFactory loggerFactory, Action<CollectiveException> onFailure, CancellationToken cancellationToken)
    {
        var channels = new List<GrpcChannel> { PeerChannel.Create(membership.LeftEndpoint, options, loggerFactory) };
        var calls = new List<AsyncServerStreamingCall<ReceivedChunk>>();
        var abort = new CancellationTokenSource();
        try
        {
            var client = new CollectivePeer.CollectivePeerClient(channels[0]);
            var count = await PeerHandshake.RunAsync(client, membership, options, loggerFactory.CreateLogger<IncomingLink>(), cancellationToken)
                .ConfigureAwait(false);
            while (channels.Count < count)
                channels.Add(PeerChannel.Create(membership.LeftEndpoint, options, loggerFactory));
            for (var i = 0; i < count; i++)
            {
                calls.Add(channels[i].CreateCallInvoker().AsyncServerStreamingCall(CollectivePeerBinding.ReceiveExchange, null,
                    new CallOptions(cancellationToken: abort.Token), new ExchangeOpen
                    {
                        ProtocolVersion = PeerHandshake.CurrentVersion,
                        GroupId = membership.GroupId,
                        SenderRank = membership.LeftRank,
                        ReceiverRank = membership.Rank,
                        Channel = i,
                        Channels = count,
                    }));
            }

            try
            {
                await Task.WhenAll(calls.Select(c => c.ResponseHeadersAsync)).WaitAsync(options.ConnectTimeout, cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.FailedPrecondition)
            {
                throw PeerHandshake.Refusal(membership, ex);
            }
            catch (Exception ex) when (ex is RpcException or TimeoutException)
            {
                throw new PeerFailedException(membership.LeftRank, membership.LeftEndpoint,
                    $"Rank {membership.LeftRank} at {membership.LeftEndpoint} did not open its ring link to rank {membership.Rank} " +
                    $"of group '{membership.GroupId}': {ex.Message}", ex);
            }

            return new IncomingLink(membership, [.. channels], [.. calls], abort, inbox, onFailure);
        }
        catch
        {
            await abort.CancelAsync().ConfigureAwait(false);
            foreach (var call in calls)
                call.Dispose();
            abort.Dispose();
            foreach (var channel in channels)
                channel.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _closing = true;
        await _abort.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_readers).ConfigureAwait(false);
        foreach (var call in _calls)
            call.Dispose();
        foreach (var channel in _channels)
            channel.Dispose();
        _abort.Dispose();
    }

    private async Task ReadLoopAsync(int channel)
    {
        ulong chunks = 0;
        try
        {
            var stream = _calls[channel].ResponseStream;
            while (await stream.MoveNext(_abort.Token).ConfigureAwait(false))
            {
                _inbox.Deliver(channel, stream.Current);
                chunks++;
            }

            if (!_closing)
                _onFailure(Failure($"it closed the ring link after {chunks} chunks on channel {channel}", null));
        }
        catch (Exception ex) when (ex is RpcException or IOException or OperationCanceledException or InvalidOperationException
                                       or InvalidDataException)
        {
            if (!_closing)
                _onFailure(Failure(ex is RpcException rpc ? $"{rpc.StatusCode}: {rpc.Status.Detail}" : ex.Message, ex));
        }
    }

    private PeerFailedException Failure(string reason, Exception? inner) =>
        new(_membership.LeftRank, _membership.LeftEndpoint,
            $"Receiving from rank {_membership.LeftRank} at {_membership.LeftEndpoint} in group '{_membership.GroupId}' failed: {reason}. " +
            "That worker has stopped or the network between us is down; re-form the group without it.", inner);
}
