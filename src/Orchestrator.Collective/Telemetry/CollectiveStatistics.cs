using System.Diagnostics;

namespace Orchestrator.Collective.Telemetry;

/// <summary>
/// Running totals of one group, cheap to read at any time (the worker reports them; the benchmark and tests assert
/// on them). Payload bytes count element data only; wire bytes add each message's protobuf header.
/// </summary>
public sealed class CollectiveStatistics
{
    private long _operations;
    private long _chunksSent;
    private long _payloadBytesSent;
    private long _wireBytesSent;
    private long _payloadBytesReceived;
    private long _operationTicks;
    private long _sendingTicks;

    public long Operations => Interlocked.Read(ref _operations);

    public long ChunksSent => Interlocked.Read(ref _chunksSent);

    public long PayloadBytesSent => Interlocked.Read(ref _payloadBytesSent);

    public long WireBytesSent => Interlocked.Read(ref _wireBytesSent);

    public long PayloadBytesReceived => Interlocked.Read(ref _payloadBytesReceived);

    /// <summary>Wall time summed over operations; overlapping operations each count their full duration.</summary>
    public TimeSpan TimeInOperations => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _operationTicks));

    /// <summary>
    /// Time spent writing chunks to the right neighbour, summed: long when the link to it is slower than the ring's
    /// other links (the ring's data queues in front of it), near zero when the link keeps up. Which link is slow shows
    /// here, while every rank's operation time is the same (each waits for the slowest link of the ring). With several
    /// channels per link the channels' write times are summed, so compare ranks that use the same channel count.
    /// </summary>
    public TimeSpan SendingTime => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _sendingTicks));

    internal void RecordSent(int payloadBytes, int wireBytes, long writeTimestampTicks)
    {
        Interlocked.Add(ref _sendingTicks, writeTimestampTicks);
        Interlocked.Increment(ref _chunksSent);
        Interlocked.Add(ref _payloadBytesSent, payloadBytes);
        Interlocked.Add(ref _wireBytesSent, wireBytes);
    }

    internal void RecordReceived(int payloadBytes) => Interlocked.Add(ref _payloadBytesReceived, payloadBytes);

    internal void RecordOperation(long elapsedTimestampTicks)
    {
        Interlocked.Increment(ref _operations);
        Interlocked.Add(ref _operationTicks, elapsedTimestampTicks);
    }
}
