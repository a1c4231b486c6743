using System.Collections.Concurrent;
using System.Threading.Channels;
using Orchestrator.Collective.Protos;

namespace Orchestrator.Collective.Transport;

/// <summary>
/// Sorts chunks arriving on the one incoming ring link into per-operation queues by sequence number, so operations
/// running concurrently each read only their own data, in the order the left neighbour sent it.
/// </summary>
internal sealed class Inbox
{
    private static readonly UnboundedChannelOptions QueueOptions = new() { SingleReader = true, SingleWriter = false };

    private readonly ConcurrentDictionary<ulong, Channel<Chunk>> _operations = new();
    private Exception? _failure;

    public ChannelReader<Chunk> Open(ulong operation) => Queue(operation).Reader;

    public void Deliver(Chunk chunk) => Queue(chunk.Operation).Writer.TryWrite(chunk);

    public void Close(ulong operation) => _operations.TryRemove(operation, out _);

    /// <summary>Ends every queue, present and future, with <paramref name="failure"/>: the link will bring no more data.</summary>
    public void Fail(Exception failure)
    {
        Interlocked.CompareExchange(ref _failure, failure, null);
        foreach (var queue in _operations.Values)
            queue.Writer.TryComplete(failure);
    }

    private Channel<Chunk> Queue(ulong operation)
    {
        var queue = _operations.GetOrAdd(operation, static _ => Channel.CreateUnbounded<Chunk>(QueueOptions));
        if (Volatile.Read(ref _failure) is { } failure)
            queue.Writer.TryComplete(failure);
        return queue;
    }
}
