using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Orchestrator.Collective.Transport;

/// <summary>
/// Sorts chunks arriving on the incoming ring link into per-operation, per-channel queues by sequence number, so
/// operations running concurrently each read only their own data, and each channel's chunks in the order the left
/// neighbour sent them.
/// </summary>
internal sealed class Inbox
{
    private static readonly UnboundedChannelOptions QueueOptions = new() { SingleReader = true, SingleWriter = false };

    private readonly ConcurrentDictionary<(ulong Operation, int Channel), Channel<ReceivedChunk>> _queues = new();
    private Exception? _failure;

    /// <summary>The operation's queue for each of <paramref name="channels"/> channels.</summary>
    public ChannelReader<ReceivedChunk>[] Open(ulong operation, int channels)
    {
        var readers = new ChannelReader<ReceivedChunk>[channels];
        for (var i = 0; i < channels; i++)
            readers[i] = Queue(operation, i).Reader;
        return readers;
    }

    public void Deliver(int channel, ReceivedChunk chunk) => Queue(chunk.Header.Operation, channel).Writer.TryWrite(chunk);

    public void Close(ulong operation, int channels)
    {
        for (var i = 0; i < channels; i++)
            _queues.TryRemove((operation, i), out _);
    }

    /// <summary>Ends every queue, present and future, with <paramref name="failure"/>: the link will bring no more data.</summary>
    public void Fail(Exception failure)
    {
        Interlocked.CompareExchange(ref _failure, failure, null);
        foreach (var queue in _queues.Values)
            queue.Writer.TryComplete(failure);
    }

    private Channel<ReceivedChunk> Queue(ulong operation, int channel)
    {
        var queue = _queues.GetOrAdd((operation, channel), static _ => Channel.CreateUnbounded<ReceivedChunk>(QueueOptions));
        if (Volatile.Read(ref _failure) is { } failure)
            queue.Writer.TryComplete(failure);
        return queue;
    }
}
