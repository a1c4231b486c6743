using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Orchestrator.Collective.Errors;
using Orchestrator.Collective.Protos;

namespace Orchestrator.Collective.Transport;

/// <summary>
/// The ring link from the left neighbour: one Exchange call to its server, open for the group's lifetime, whose
/// response stream carries every chunk the neighbour sends this rank. A reader loop sorts them into the
/// <see cref="Inbox"/>; the stream ending or breaking is reported once, as a <see cref="PeerFailedException"/>.
/// </summary>
internal sealed class IncomingLink : IAsyncDisposable
{
    private readonly RingMembership _membership;
    private readonly GrpcChannel _channel;
    private readonly AsyncServerStreamingCall<ReceivedChunk> _call;
    private readonly CancellationTokenSource _abort;
    private readonly Inbox _inbox;
    private readonly Action<CollectiveException> _onFailure;
    private readonly Task _reader;
    private volatile bool _closing;

    private IncomingLink(RingMembership membership, GrpcChannel channel, AsyncServerStreamingCall<ReceivedChunk> call,
        CancellationTokenSource abort, Inbox inbox, Action<CollectiveException> onFailure)
    {
        _membership = membership;
        _channel = channel;
        _call = call;
        _abort = abort;
        _inbox = inbox;
        _onFailure = onFailure;
        _reader = Task.Run(ReadLoopAsync);
    }

    /// <summary>
    /// Handshakes with the left neighbour (retrying while it starts), opens the link and waits until the neighbour
    /// has accepted it.
    /// </summary>
    public static async Task<IncomingLink> ConnectAsync(RingMembership membership, CollectiveOptions options, Inbox inbox,
        ILoggerFactory loggerFactory, Action<CollectiveException> onFailure, CancellationToken cancellationToken)
    {
        var channel = PeerChannel.Create(membership.LeftEndpoint, options, loggerFactory);
        var abort = new CancellationTokenSource();
        try
        {
            var client = new CollectivePeer.CollectivePeerClient(channel);
            await PeerHandshake.RunAsync(client, membership, options, loggerFactory.CreateLogger<IncomingLink>(), cancellationToken)
                .ConfigureAwait(false);
            var call = channel.CreateCallInvoker().AsyncServerStreamingCall(CollectivePeerBinding.ReceiveExchange, null,
                new CallOptions(cancellationToken: abort.Token), new ExchangeOpen
                {
                    ProtocolVersion = PeerHandshake.CurrentVersion,
                    GroupId = membership.GroupId,
                    SenderRank = membership.LeftRank,
                    ReceiverRank = membership.Rank,
                });
            try
            {
                await call.ResponseHeadersAsync.WaitAsync(options.ConnectTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.FailedPrecondition)
            {
                call.Dispose();
                throw PeerHandshake.Refusal(membership, ex);
            }
            catch (Exception ex) when (ex is RpcException or TimeoutException)
            {
                call.Dispose();
                throw new PeerFailedException(membership.LeftRank, membership.LeftEndpoint,
                    $"Rank {membership.LeftRank} at {membership.LeftEndpoint} did not open its ring link to rank {membership.Rank} " +
                    $"of group '{membership.GroupId}': {ex.Message}", ex);
            }

            return new IncomingLink(membership, channel, call, abort, inbox, onFailure);
        }
        catch
        {
            await abort.CancelAsync().ConfigureAwait(false);
            abort.Dispose();
            channel.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _closing = true;
        await _abort.CancelAsync().ConfigureAwait(false);
        await _reader.ConfigureAwait(false);
        _call.Dispose();
        _channel.Dispose();
        _abort.Dispose();
    }

    private async Task ReadLoopAsync()
    {
        ulong chunks = 0;
        try
        {
            var stream = _call.ResponseStream;
            while (await stream.MoveNext(_abort.Token).ConfigureAwait(false))
            {
                _inbox.Deliver(stream.Current);
                chunks++;
            }

            if (!_closing)
                _onFailure(Failure($"it closed the ring link after {chunks} chunks", null));
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
