using System.Buffers;
using System.Threading.Channels;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Orchestrator.Collective.Errors;
using Orchestrator.Collective.Protos;
using Orchestrator.Collective.Telemetry;

namespace Orchestrator.Collective.Transport;

/// <summary>
/// The one persistent Exchange stream to the right ring neighbour. Operations enqueue chunks; a single writer loop
/// puts them on the stream in order (gRPC allows one write at a time) and returns pooled payload buffers once
/// written. A broken or ended stream is reported once, as a <see cref="PeerFailedException"/> naming the neighbour.
/// </summary>
internal sealed class PeerLink : IAsyncDisposable
{
    // Two readers: the writer loop, and Fail draining what will never be written.
    private static readonly UnboundedChannelOptions QueueOptions = new() { SingleReader = false, SingleWriter = false };

    private readonly RingMembership _membership;
    private readonly GrpcChannel _channel;
    private readonly AsyncClientStreamingCall<ExchangeMessage, ExchangeSummary> _call;
    private readonly Channel<Outgoing> _queue = Channel.CreateUnbounded<Outgoing>(QueueOptions);
    private readonly CancellationTokenSource _abort;
    private readonly CollectiveStatistics _statistics;
    private readonly CollectiveMetrics _metrics;
    private readonly Action<CollectiveException> _onFailure;
    private readonly Task _writer;
    private readonly Task _watcher;
    private PeerFailedException? _failure;
    private volatile bool _closing;

    private PeerLink(RingMembership membership, GrpcChannel channel, AsyncClientStreamingCall<ExchangeMessage, ExchangeSummary> call,
        CancellationTokenSource abort, CollectiveStatistics statistics, CollectiveMetrics metrics, Action<CollectiveException> onFailure)
    {
        _membership = membership;
        _channel = channel;
        _call = call;
        _abort = abort;
        _statistics = statistics;
        _metrics = metrics;
        _onFailure = onFailure;
        _writer = Task.Run(WriteLoopAsync);
        _watcher = WatchAsync();
    }

    /// <summary>Handshakes with the right neighbour (retrying while it starts) and opens the ring link to it.</summary>
    public static async Task<PeerLink> ConnectAsync(RingMembership membership, CollectiveOptions options,
        CollectiveStatistics statistics, CollectiveMetrics metrics, ILoggerFactory loggerFactory,
        Action<CollectiveException> onFailure, CancellationToken cancellationToken)
    {
        var channel = PeerChannel.Create(membership.RightEndpoint, options, loggerFactory);
        var abort = new CancellationTokenSource();
        try
        {
            var client = new CollectivePeer.CollectivePeerClient(channel);
            await PeerHandshake.RunAsync(client, membership, options, loggerFactory.CreateLogger<PeerLink>(), cancellationToken)
                .ConfigureAwait(false);
            var call = client.Exchange(cancellationToken: abort.Token);
            await call.RequestStream.WriteAsync(new ExchangeMessage
            {
                Open = new ExchangeOpen
                {
                    ProtocolVersion = (uint)ProtocolVersion.Current,
                    GroupId = membership.GroupId,
                    SenderRank = membership.Rank,
                    ReceiverRank = membership.RightRank,
                },
            }, cancellationToken).ConfigureAwait(false);
            return new PeerLink(membership, channel, call, abort, statistics, metrics, onFailure);
        }
        catch
        {
            await abort.CancelAsync().ConfigureAwait(false);
            abort.Dispose();
            channel.Dispose();
            throw;
        }
    }

    /// <summary>Queues a chunk; <paramref name="pooled"/>, when given, goes back to the shared pool once written.</summary>
    public void Send(Chunk chunk, byte[]? pooled)
    {
        if (!_queue.Writer.TryWrite(new Outgoing(chunk, pooled, null)) && pooled is not null)
            ArrayPool<byte>.Shared.Return(pooled);
    }

    /// <summary>Completes when everything queued so far is on the stream, so the caller may reuse its buffers.</summary>
    public Task FlushAsync()
    {
        var flushed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite(new Outgoing(null, null, flushed)))
            return Task.FromException(_failure ?? Failure("the link is closed", null));
        return flushed.Task;
    }

    public async ValueTask DisposeAsync()
    {
        _closing = true;
        _queue.Writer.TryComplete();
        try
        {
            await _writer.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            if (_failure is null)
                await _call.RequestStream.CompleteAsync().WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or RpcException or InvalidOperationException or IOException)
        {
            // The neighbour is gone or slow to drain; the call is aborted below either way.
        }

        await _abort.CancelAsync().ConfigureAwait(false);
        _call.Dispose();
        await _watcher.ConfigureAwait(false);
        _channel.Dispose();
        _abort.Dispose();
    }

    private async Task WriteLoopAsync()
    {
        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_abort.Token).ConfigureAwait(false))
            {
                while (reader.TryRead(out var item))
                {
                    try
                    {
                        if (item.Chunk is { } chunk)
                        {
                            var message = new ExchangeMessage { Chunk = chunk };
                            await _call.RequestStream.WriteAsync(message, _abort.Token).ConfigureAwait(false);
                            _statistics.RecordSent(chunk.Payload.Length, message.CalculateSize());
                            _metrics.RecordSent(chunk.Payload.Length);
                        }

                        item.Flushed?.TrySetResult();
                    }
                    finally
                    {
                        if (item.Pooled is not null)
                            ArrayPool<byte>.Shared.Return(item.Pooled);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is RpcException or IOException or OperationCanceledException or InvalidOperationException)
        {
            Fail(Failure(ex.Message, ex));
        }
    }

    private async Task WatchAsync()
    {
        try
        {
            var summary = await _call.ResponseAsync.ConfigureAwait(false);
            if (!_closing)
                Fail(Failure($"rank {_membership.RightRank} ended the ring link after {summary.ChunksReceived} chunks", null));
        }
        catch (RpcException ex) when (!_closing)
        {
            Fail(Failure($"{ex.Status.StatusCode}: {ex.Status.Detail}", ex));
        }
        catch (OperationCanceledException ex) when (!_closing)
        {
            Fail(Failure("the call was cancelled", ex));
        }
        catch (Exception ex) when (_closing && ex is RpcException or OperationCanceledException)
        {
            // Closing: the call was cancelled on purpose.
        }
    }

    private void Fail(PeerFailedException failure)
    {
        if (Interlocked.CompareExchange(ref _failure, failure, null) is not null)
            return;
        _queue.Writer.TryComplete();
        _abort.Cancel();
        while (_queue.Reader.TryRead(out var item))
        {
            item.Flushed?.TrySetException(failure);
            if (item.Pooled is not null)
                ArrayPool<byte>.Shared.Return(item.Pooled);
        }

        if (!_closing)
            _onFailure(failure);
    }

    private PeerFailedException Failure(string reason, Exception? inner) =>
        new(_membership.RightRank, _membership.RightEndpoint,
            $"Sending to rank {_membership.RightRank} at {_membership.RightEndpoint} in group '{_membership.GroupId}' failed: {reason}. " +
            "That worker has stopped or the network between us is down; re-form the group without it.", inner);

    private readonly record struct Outgoing(Chunk? Chunk, byte[]? Pooled, TaskCompletionSource? Flushed);
}
