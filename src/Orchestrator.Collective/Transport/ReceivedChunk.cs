using System.Buffers;

namespace Orchestrator.Collective.Transport;

/// <summary>
/// A chunk as it arrived from the left neighbour: its header and its payload bytes in a buffer rented from the
/// shared pool, so receiving allocates nothing per byte and never touches the large-object heap. Whoever consumes
/// the chunk last calls <see cref="Release"/> (or hands it to <see cref="OutgoingChunk.Forward"/>, which does).
/// </summary>
internal sealed class ReceivedChunk
{
    private byte[]? _buffer;

    public ReceivedChunk(ChunkHeader header, byte[] buffer, int length)
    {
        Header = header;
        _buffer = buffer;
        Length = length;
    }

    public ChunkHeader Header { get; }

    /// <summary>Payload length in bytes.</summary>
    public int Length { get; }

    public ReadOnlySpan<byte> Payload => (_buffer ?? throw Released()).AsSpan(0, Length);

    /// <summary>Returns the payload buffer to the pool; the chunk must not be read afterwards.</summary>
    public void Release()
    {
        if (Interlocked.Exchange(ref _buffer, null) is { } buffer)
            ArrayPool<byte>.Shared.Return(buffer);
    }

    private static ObjectDisposedException Released() =>
        new(nameof(ReceivedChunk), "The chunk's payload was already returned to the pool; read it before releasing or forwarding it.");
}
