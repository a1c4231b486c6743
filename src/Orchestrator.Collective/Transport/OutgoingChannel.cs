using System.Diagnostics;
using System.Threading.Channels;
using Grpc.Core;
using Orchestrator.Collective.Errors;
using Orchestrator.Collective.Telemetry;

namespace Orchestrator.Collective.Transport;

/// <summary>
/// One channel of the ring link to the right neighbour, served from this rank's gRPC server: the neighbour calls
/// Exchange for it and <see cref="ServeAsync"/> streams it every chunk <see cref="OutgoingLink"/> puts on this channel,
/// in order (gRPC allows one write at a time), releasing forwarded payloads once written. A neighbour that goes away
/// is reported once, as a <see cref="PeerFailedException"/> naming it.
/// </summary>
internal sealed class OutgoingChannel
{
    // One reader at a time (the serving loop, or a drain under _drainGate once it has stopped): the single-consumer
    // queue avoids a lock that producers and the loop would otherwise fight over for every chunk.
    private static readonly UnboundedChannelOptions QueueOptions = new() { SingleReader = true, SingleWriter = false };

    private readonly RingMembership _membership;
    private readonly int _index;
    private readonly Channel<Outgoing> _queue = Channel.CreateUnbounded<Outgoing>(QueueOptions);
    private readonly TaskCompletionSource _attached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _served = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CollectiveStatistics _statistics;
    private readonly CollectiveMetrics _metrics;
    private readonly Action<PeerFailedException> _onFailure;
    private readonly Lock _drainGate = new();
    private PeerFailedException? _failure;
    private long _queued;
    private long _written;
    private int _attachments;
    private int _serving;
    private volatile bool _closing;

    public OutgoingChannel(RingMembership membership, int index, CollectiveStatistics statistics, CollectiveMetrics metrics,
        Action<PeerFailedException> onFailure)
    {
        _membership = membership;
        _index = index;
        _statistics = statistics;
        _metrics = metrics;
        _onFailure = onFailure;
    }

    /// <summary>Completes when the right neighbour has connected to receive on this channel.</summary>
    public Task Attached => _attached.Task;

    /// <summary>Queues a chunk; it is released once written or dropped.</summary>
    public void Send(OutgoingChunk chunk)
    {
        Interlocked.Increment(ref _queued);
        if (!_queue.Writer.TryWrite(new Outgoing(chunk, null, 0)))
            chunk.Release();
    }

    /// <summary>
    /// Completes when everything queued so far is written, so the caller may reuse its buffers. It succeeds even
    /// when the link breaks afterwards (a neighbour that has all its data may leave at once); it fails only when
    /// a chunk queued before it was not written.
    /// </summary>
    public Task FlushAsync()
    {
        var flushed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var before = Interlocked.Read(ref _queued);
        if (_queue.Writer.TryWrite(new Outgoing(null, flushed, before)))
            return flushed.Task;
        return Interlocked.Read(ref _written) >= before
            ? Task.CompletedTask
            : Task.FromException(_failure ?? Failure("the link is closed", null));
    }

    /// <summary>
    /// Runs for the lifetime of the right neighbour's Exchange call for this channel: writes queued chunks until this
    /// rank closes the link (the call then ends normally) or the neighbour goes away.
    /// </summary>
    public async Task ServeAsync(IServerStreamWriter<OutgoingChunk> stream, ServerCallContext context)
    {
        if (Interlocked.Exchange(ref _attachments, 1) == 1)
            throw PeerHandshake.Refuse($"Rank {_membership.Rank} of group '{_membership.GroupId}' already streams channel {_index} to rank " +
                                       $"{_membership.RightRank}; a group incarnation serves each channel once. Join with a new GroupId after a restart.");
        await context.WriteResponseHeadersAsync(new Metadata()).ConfigureAwait(false);
        Interlocked.Exchange(ref _serving, 1); // a full fence: Fail and this loop must see each other's write
        _attached.TrySetResult();
        var reader = _queue.Reader;
        try
        {
            if (_failure is not null)
                return;
            while (await reader.WaitToReadAsync(context.CancellationToken).ConfigureAwait(false))
            {
                while (reader.TryRead(out var item))
                {
                    try
                    {
                        if (item.Chunk is { } chunk)
                        {
                            var started = Stopwatch.GetTimestamp();
                            await stream.WriteAsync(chunk, context.CancellationToken).ConfigureAwait(false);
                            Interlocked.Increment(ref _written);
                            _statistics.RecordSent(chunk.PayloadBytes, ChunkWire.MessageBytes(chunk), Stopwatch.GetTimestamp() - started);
                            _metrics.RecordSent(chunk.PayloadBytes);
                        }

                        item.Flushed?.TrySetResult();
                    }
                    finally
                    {
                        item.Chunk?.Release();
                    }
                }
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException or RpcException)
        {
            Fail(Failure(_closing ? "this rank is leaving the group" : ex.Message, ex));
        }
        finally
        {
            Volatile.Write(ref _serving, 0);
            if (_failure is { } failure)
                Drain(failure);
            _served.TrySetResult();
        }
    }

    /// <summary>Stops serving once what is queued is written (bounded by <paramref name="drain"/>).</summary>
    public async Task CloseAsync(TimeSpan drain)
    {
        _closing = true;
        _queue.Writer.TryComplete();
        if (_attachments == 0)
            return;
        await Task.WhenAny(_served.Task, Task.Delay(drain)).ConfigureAwait(false);
        Fail(Failure("this rank is leaving the group", null));
    }

    public void Fail(PeerFailedException failure)
    {
        if (Interlocked.CompareExchange(ref _failure, failure, null) is not null)
            return;
        _queue.Writer.TryComplete();
        if (Volatile.Read(ref _serving) == 0)
            Drain(failure); // otherwise the serving loop drains as it stops

        if (!_closing)
            _onFailure(failure);
    }

    // Settles what will never be written: flush waiters whose chunks all went out succeed, the others learn why;
    // forwarded payloads go back to the pool.
    private void Drain(PeerFailedException failure)
    {
        lock (_drainGate)
        {
            while (_queue.Reader.TryRead(out var item))
            {
                if (item.Flushed is { } flushed && Interlocked.Read(ref _written) >= item.ChunksBefore)
                    flushed.TrySetResult();
                else
                    item.Flushed?.TrySetException(failure);
                item.Chunk?.Release();
            }
        }
    }

    private PeerFailedException Failure(string reason, Exception? inner) =>
        new(_membership.RightRank, _membership.RightEndpoint,
            $"Sending to rank {_membership.RightRank} at {_membership.RightEndpoint} in group '{_membership.GroupId}' failed: {reason}. " +
            "That worker has stopped or the network between us is down; re-form the group without it.", inner);

    // ChunksBefore: chunks queued before a flush item (at least those ahead of it in the queue).
    private readonly record struct Outgoing(OutgoingChunk? Chunk, TaskCompletionSource? Flushed, long ChunksBefore);
}
