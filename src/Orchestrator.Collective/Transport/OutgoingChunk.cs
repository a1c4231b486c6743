using System.Buffers;
using System.Runtime.InteropServices;
using Orchestrator.Collective.Numerics;
using Orchestrator.Collective.Protos;

namespace Orchestrator.Collective.Transport;

/// <summary>
/// A chunk queued for the right neighbour. Its payload is not copied at the call: float runs are read from the
/// caller's buffer (and rounded to bf16 when the header says so) only when gRPC serialises the message, straight
/// into the HTTP/2 output buffer. That is safe because a run the ring has queued is only overwritten by data that
/// causally depends on it having arrived at the neighbour, and every operation flushes before it returns.
/// </summary>
internal sealed class OutgoingChunk
{
    private readonly ReadOnlyMemory<float> _floats;
    private readonly ReadOnlyMemory<byte> _bytes;
    private readonly ReceivedChunk? _forwarded;

    private OutgoingChunk(ChunkHeader header, ReadOnlyMemory<float> floats, ReadOnlyMemory<byte> bytes, ReceivedChunk? forwarded,
        int payloadBytes)
    {
        Header = header;
        _floats = floats;
        _bytes = bytes;
        _forwarded = forwarded;
        PayloadBytes = payloadBytes;
    }

    public ChunkHeader Header { get; }

    public int PayloadBytes { get; }

    /// <summary>A float run sent as float32 or bf16, as <paramref name="header"/>'s encoding says.</summary>
    public static OutgoingChunk FromFloats(ChunkHeader header, ReadOnlyMemory<float> run) => header.Encoding switch
    {
        Encoding.Float32 => new(header, run, default, null, run.Length * sizeof(float)),
        Encoding.Bfloat16 => new(header, run, default, null, run.Length * sizeof(ushort)),
        _ => throw new ArgumentException($"Float runs travel as float32 or bf16, not {header.Encoding}.", nameof(header)),
    };

    /// <summary>Bytes already in wire form; the caller must not change them until the operation has flushed.</summary>
    public static OutgoingChunk FromBytes(ChunkHeader header, ReadOnlyMemory<byte> payload) =>
        new(header, default, payload, null, payload.Length);

    /// <summary>Passes a received payload on unchanged; the received chunk is released once written.</summary>
    public static OutgoingChunk Forward(ChunkHeader header, ReceivedChunk received) =>
        new(header, default, default, received, received.Length);

    /// <summary>Writes the payload bytes into <paramref name="writer"/> (the gRPC serialisation buffer).</summary>
    public void WritePayload(IBufferWriter<byte> writer)
    {
        if (_forwarded is not null)
            writer.Write(_forwarded.Payload);
        else if (Header.Encoding == Encoding.Float32)
            writer.Write(MemoryMarshal.AsBytes(_floats.Span));
        else if (Header.Encoding == Encoding.Bfloat16)
            WriteBf16(writer, _floats.Span);
        else
            writer.Write(_bytes.Span);
    }

    /// <summary>Called once the chunk is written or will never be: gives a forwarded payload back to the pool.</summary>
    public void Release() => _forwarded?.Release();

    private static void WriteBf16(IBufferWriter<byte> writer, ReadOnlySpan<float> floats)
    {
        while (!floats.IsEmpty)
        {
            var target = writer.GetSpan(sizeof(ushort));
            var count = Math.Min(floats.Length, target.Length / sizeof(ushort));
            BFloat16.Encode(floats[..count], MemoryMarshal.Cast<byte, ushort>(target[..(count * sizeof(ushort))]));
            writer.Advance(count * sizeof(ushort));
            floats = floats[count..];
        }
    }
}
