using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Orchestrator.Collective.Transport;

/// <summary>
/// Sorts chunks arriving on the one incoming ring link into per-operation queues by sequence number, so operations
/// running concurrently each read only their own data, in the order the left neighbour sent it.
/// </summary>
internal sealed class Inbox
{
    private static readonly UnboundedChannelOptions QueueOptions = new() { SingleReader = true, SingleWriter = false };

    private readonly ConcurrentDictionary<ulong, Channel<ReceivedChunk>> _operations = new();
    private Exception? _failure;

    public ChannelReader<ReceivedChunk> Open(ulong operation) => Queue(operation).Reader;

    public void Deliver(ReceivedChunk chunk) => Queue(chunk.Header.Operation).Writer.TryWrite(chunk);

    public void Close(ulong operation) => _operations.TryRemove(operation, out _);

    /// <summary>Ends every queue, present and future, with <paramref name="failure"/>: the link will bring no more data.</summary>
    public void Fail(Exception failure)
    {
        Interlocked.CompareExchange(ref _failure, failure, null);
        foreach (var queue in _operations.Values)
            queue.Writer.TryComplete(failure);
    }

    private Channel<ReceivedChunk> Queue(ulong operation)
    {
        var queue = _operations.GetOrAdd(operation, static _ => Channel.CreateUnbounded<ReceivedChunk>(QueueOptions));
        if (Volatile.Read(ref _failure) is { } failure)
            queue.Writer.TryComplete(failure);
        return queue;
    }
}
