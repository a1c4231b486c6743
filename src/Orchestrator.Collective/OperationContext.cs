using System.Threading.Channels;
using Orchestrator.Collective.Errors;
using Orchestrator.Collective.Protos;
using Orchestrator.Collective.Transport;

namespace Orchestrator.Collective;

/// <summary>
/// One running collective operation as the ring algorithms see it: receive the next chunk from the left neighbour
/// (checked against this rank's view of the operation), send chunks to the right one, flush before returning.
/// Chunks are numbered per operation as they are sent; chunk i travels on channel i mod channels of the link, so the
/// receiver reads the channels in the same turn (<paramref name="incoming"/> holds one queue per incoming channel).
/// </summary>
internal sealed class OperationContext(
    CollectiveGroup group,
    OutgoingLink link,
    ulong operation,
    OperationKind kind,
    long elements,
    ChannelReader<ReceivedChunk>[] incoming,
    CancellationToken deadline)
{
    private long _sent;
    private long _received;

    public int Rank => group.Rank;

    public int WorldSize => group.WorldSize;

    public ulong Operation => operation;

    /// <summary>Which neighbour the operation is waiting for: the one to blame if the deadline passes.</summary>
    public bool WaitingOnRight { get; private set; }

    public static int ElementBytes(Encoding encoding) => encoding switch
    {
        Encoding.Float32 => sizeof(float),
        Encoding.Bfloat16 => sizeof(ushort),
        Encoding.Float64 => sizeof(double),
        _ => 0,
    };

    /// <summary>
    /// Awaits the next chunk, which must belong to <paramref name="step"/> and start at <paramref name="offset"/>,
    /// ending at or before <paramref name="end"/>. Returns it with its element count; the caller releases or
    /// forwards it.
    /// </summary>
    public async ValueTask<(ReceivedChunk Chunk, int Count)> ReceiveAsync(int step, long offset, long end)
    {
        WaitingOnRight = false;
        var received = await incoming[(int)(_received++ % incoming.Length)].ReadAsync(deadline).ConfigureAwait(false);
        int count;
        try
        {
            count = Check(received.Header, received.Length, step, offset, end);
        }
        catch
        {
            received.Release();
            throw;
        }

        group.RecordReceived(received.Length);
        return (received, count);
    }

    // The element count, after checking the header against this rank's view of the operation.
    private int Check(in ChunkHeader chunk, int payload, int step, long offset, long end)
    {
        var left = group.Membership.LeftRank;
        if (chunk.Kind != kind || (long)chunk.OperationElements != elements)
            throw Mismatch($"rank {left} sent data of {Describe(chunk.Kind)} over {chunk.OperationElements} elements " +
                           $"but this rank ({Rank}) is running {Describe(kind)} over {elements} elements");
        var elementBytes = AcceptsEncoding(chunk.Encoding) ? ElementBytes(chunk.Encoding) : 0;
        if (chunk.Step != step || (long)chunk.Offset != offset || elementBytes == 0 || payload == 0 || payload % elementBytes != 0
            || (long)chunk.Offset + payload / elementBytes > end)
            throw Mismatch($"rank {left} sent step {chunk.Step}, elements {chunk.Offset}.. ({payload} bytes of {chunk.Encoding}) " +
                           $"where this rank expected step {step}, elements {offset}..{end}");
        return payload / elementBytes;
    }

    /// <summary>Queues a run of the caller's buffer, read (and encoded) only when it is written.</summary>
    public void Send(int step, long offset, Encoding encoding, ReadOnlyMemory<float> run) =>
        link.Send(OutgoingChunk.FromFloats(Header(step, offset, encoding), run), _sent++);

    /// <summary>Queues bytes already in wire form.</summary>
    public void Send(int step, long offset, Encoding encoding, ReadOnlyMemory<byte> payload) =>
        link.Send(OutgoingChunk.FromBytes(Header(step, offset, encoding), payload), _sent++);

    /// <summary>Passes a received chunk on to the right neighbour as the next step, unchanged.</summary>
    public void Forward(int step, ReceivedChunk received) =>
        link.Send(OutgoingChunk.Forward(Header(step, (long)received.Header.Offset, received.Header.Encoding), received), _sent++);

    private ChunkHeader Header(int step, long offset, Encoding encoding) =>
        new(operation, kind, (ulong)elements, (uint)step, (ulong)offset, encoding);

    /// <summary>Waits until every chunk of this operation is written, so the caller's buffer may be reused.</summary>
    public async Task FlushAsync()
    {
        WaitingOnRight = true;
        await link.FlushAsync().WaitAsync(deadline).ConfigureAwait(false);
    }

    private bool AcceptsEncoding(Encoding encoding) => kind == OperationKind.AllGather
        ? encoding is Encoding.Float64 or Encoding.Float32
        : encoding is Encoding.Float32 or Encoding.Bfloat16;

    private static string Describe(OperationKind kind) => kind switch
    {
        OperationKind.AllReduce => "an all-reduce",
        OperationKind.AllGather => "an all-gather",
        _ => kind.ToString(),
    };

    private CollectiveMismatchException Mismatch(string what) =>
        new($"Group '{group.GroupId}', operation {operation}: {what}. Every rank must issue the same collective calls, " +
            "in the same order, with buffers of the same lengths.");
}
