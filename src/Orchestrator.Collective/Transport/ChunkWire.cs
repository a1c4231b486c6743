using System.Buffers;
using Grpc.Core;
using Orchestrator.Collective.Protos;

namespace Orchestrator.Collective.Transport;

/// <summary>
/// Reads and writes the protobuf encoding of <c>Chunk</c> (protos/collective.proto) by hand, byte-for-byte what
/// Google.Protobuf produces, so peers of any language interoperate. Doing it here instead of through the generated
/// class saves a copy and an allocation per byte: the payload goes from the sender's float buffer straight into
/// gRPC's output buffer, and from gRPC's receive buffer straight into a pooled array.
/// </summary>
internal static class ChunkWire
{
    private const uint PayloadTag = (7 << 3) | 2;
    private const int MaxHeaderBytes = 6 * (1 + 10) + 1 + 5;

    /// <summary>The encoded size of <paramref name="chunk"/>: header fields, payload tag and length, payload.</summary>
    public static int MessageBytes(OutgoingChunk chunk)
    {
        Span<byte> header = stackalloc byte[MaxHeaderBytes];
        return WriteHeader(chunk.Header, chunk.PayloadBytes, header) + chunk.PayloadBytes;
    }

    public static void Serialize(OutgoingChunk chunk, SerializationContext context)
    {
        Span<byte> header = stackalloc byte[MaxHeaderBytes];
        var headerBytes = WriteHeader(chunk.Header, chunk.PayloadBytes, header);
        context.SetPayloadLength(headerBytes + chunk.PayloadBytes);
        var writer = context.GetBufferWriter();
        writer.Write(header[..headerBytes]);
        chunk.WritePayload(writer);
        context.Complete();
    }

    /// <summary>
    /// Parses one message. Fields may come in any order and unknown fields are skipped, as protobuf requires; a
    /// truncated or malformed message throws <see cref="InvalidDataException"/>.
    /// </summary>
    public static ReceivedChunk Deserialize(DeserializationContext context)
    {
        var reader = new SequenceReader<byte>(context.PayloadAsReadOnlySequence());
        ulong operation = 0, elements = 0, offset = 0, step = 0, kind = 0, encoding = 0;
        byte[]? payload = null;
        var length = 0;
        try
        {
            while (!reader.End)
            {
                var tag = ReadVarint(ref reader);
                switch (tag)
                {
                    case (1 << 3) | 0: operation = ReadVarint(ref reader); break;
                    case (2 << 3) | 0: kind = ReadVarint(ref reader); break;
                    case (3 << 3) | 0: elements = ReadVarint(ref reader); break;
                    case (4 << 3) | 0: step = ReadVarint(ref reader); break;
                    case (5 << 3) | 0: offset = ReadVarint(ref reader); break;
                    case (6 << 3) | 0: encoding = ReadVarint(ref reader); break;
                    case PayloadTag:
                        length = ReadLength(ref reader);
                        if (payload is not null)
                            ArrayPool<byte>.Shared.Return(payload); // a repeated bytes field: the last one wins
                        payload = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
                        reader.Sequence.Slice(reader.Position, length).CopyTo(payload);
                        reader.Advance(length);
                        break;
                    default: Skip(ref reader, tag); break;
                }
            }
        }
        catch
        {
            if (payload is not null)
                ArrayPool<byte>.Shared.Return(payload);
            throw;
        }

        var header = new ChunkHeader(operation, (OperationKind)(int)kind, elements, (uint)step, offset, (Encoding)(int)encoding);
        return new ReceivedChunk(header, payload ?? ArrayPool<byte>.Shared.Rent(1), length);
    }

    private static int WriteHeader(in ChunkHeader header, int payloadBytes, Span<byte> destination)
    {
        var at = 0;
        WriteField(destination, ref at, 1, header.Operation);
        WriteField(destination, ref at, 2, (ulong)(long)header.Kind);
        WriteField(destination, ref at, 3, header.OperationElements);
        WriteField(destination, ref at, 4, header.Step);
        WriteField(destination, ref at, 5, header.Offset);
        WriteField(destination, ref at, 6, (ulong)(long)header.Encoding);
        if (payloadBytes > 0)
        {
            WriteVarint(destination, ref at, PayloadTag);
            WriteVarint(destination, ref at, (ulong)payloadBytes);
        }

        return at;
    }

    // proto3 leaves fields at their default (zero) off the wire.
    private static void WriteField(Span<byte> destination, ref int at, int field, ulong value)
    {
        if (value == 0)
            return;
        WriteVarint(destination, ref at, (ulong)(field << 3));
        WriteVarint(destination, ref at, value);
    }

    private static void WriteVarint(Span<byte> destination, ref int at, ulong value)
    {
        while (value >= 0x80)
        {
            destination[at++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[at++] = (byte)value;
    }

    private static ulong ReadVarint(ref SequenceReader<byte> reader)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (!reader.TryRead(out var b))
                throw Malformed("it ends inside a varint");
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
                return value;
        }

        throw Malformed("a varint is longer than 10 bytes");
    }

    private static int ReadLength(ref SequenceReader<byte> reader)
    {
        var length = ReadVarint(ref reader);
        if (length > (ulong)reader.Remaining)
            throw Malformed($"a field claims {length} bytes but only {reader.Remaining} follow");
        return (int)length;
    }

    private static void Skip(ref SequenceReader<byte> reader, ulong tag)
    {
        switch (tag & 7)
        {
            case 0: ReadVarint(ref reader); break;
            case 1: Advance(ref reader, 8); break;
            case 2: Advance(ref reader, ReadLength(ref reader)); break;
            case 5: Advance(ref reader, 4); break;
            default: throw Malformed($"field {tag >> 3} has wire type {tag & 7}, which protobuf does not define");
        }
    }

    private static void Advance(ref SequenceReader<byte> reader, int count)
    {
        if (reader.Remaining < count)
            throw Malformed($"a field of {count} bytes is cut short");
        reader.Advance(count);
    }

    private static InvalidDataException Malformed(string why) =>
        new($"A collective Chunk message from the left neighbour is malformed: {why}. The peer runs an incompatible build; " +
            "run the same Orchestrator build on every worker.");
}
