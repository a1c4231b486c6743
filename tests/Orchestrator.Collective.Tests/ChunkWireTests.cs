using System.Buffers;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Grpc.Core;
using Orchestrator.Collective.Numerics;
using Orchestrator.Collective.Protos;
using Orchestrator.Collective.Transport;

namespace Orchestrator.Collective.Tests;

/// <summary>The hand-written chunk codec against Google.Protobuf's generated <c>Chunk</c>, the independent reference.</summary>
public sealed class ChunkWireTests
{
    private static readonly ChunkHeader Header = new(ulong.MaxValue - 3, OperationKind.AllReduce, 1_000_003, 5, 300_000, Encoding.Float32);

    [Theory]
    [InlineData(0ul, 0u, 0ul)] // proto3 leaves zero fields off the wire; so must we
    [InlineData(7ul, 3u, 130ul)]
    [InlineData(ulong.MaxValue, uint.MaxValue, 1ul << 40)]
    public void A_float32_chunk_is_encoded_byte_for_byte_as_Google_Protobuf_encodes_it(ulong operation, uint step, ulong offset)
    {
        var floats = Enumerable.Range(0, 1000).Select(i => i * 0.37f - 11f).ToArray();
        var header = Header with { Operation = operation, Step = step, Offset = offset };

        var ours = Serialize(OutgoingChunk.FromFloats(header, floats));

        var reference = Reference(header, MemoryMarshal.AsBytes(floats.AsSpan()).ToArray());
        Assert.Equal(reference, ours);
        Assert.Equal(reference.Length, ChunkWire.MessageBytes(OutgoingChunk.FromFloats(header, floats)));
    }

    [Fact]
    public void A_bf16_chunk_carries_the_rounded_values_straight_from_the_float_buffer()
    {
        // Odd length and a writer handing out small, odd-sized spans: the encoder must split at element boundaries.
        var floats = Enumerable.Range(0, 1001).Select(i => MathF.Sin(i) * 1e3f).ToArray();
        var header = Header with { Encoding = Encoding.Bfloat16 };
        var expected = new ushort[floats.Length];
        BFloat16.Encode(floats, expected);

        var ours = Serialize(OutgoingChunk.FromFloats(header, floats), spanBytes: 33);

        Assert.Equal(Reference(header, MemoryMarshal.AsBytes(expected.AsSpan()).ToArray()), ours);
    }

    [Fact]
    public void Google_Protobuf_bytes_split_across_segments_parse_into_the_same_chunk()
    {
        var payload = Enumerable.Range(0, 4096).Select(i => (byte)(i * 7)).ToArray();
        var bytes = Reference(Header, payload);

        var parsed = ChunkWire.Deserialize(new Deserialization(bytes, segmentBytes: 100));

        Assert.Equal(Header, parsed.Header);
        Assert.Equal(payload, parsed.Payload.ToArray());
        parsed.Release();
    }

    [Fact]
    public void Fields_in_another_order_and_unknown_fields_are_accepted_as_protobuf_requires()
    {
        var payload = new byte[] { 1, 2, 3, 4 };
        var output = new MemoryStream();
        var writer = new CodedOutputStream(output);
        writer.WriteTag(7, WireFormat.WireType.LengthDelimited);
        writer.WriteBytes(ByteString.CopyFrom(payload));
        writer.WriteTag(99, WireFormat.WireType.Varint);
        writer.WriteUInt64(12345);
        writer.WriteTag(100, WireFormat.WireType.Fixed64);
        writer.WriteFixed64(1);
        writer.WriteTag(101, WireFormat.WireType.LengthDelimited);
        writer.WriteString("from a later build");
        writer.WriteTag(102, WireFormat.WireType.Fixed32);
        writer.WriteFixed32(2);
        writer.WriteTag(6, WireFormat.WireType.Varint);
        writer.WriteEnum((int)Encoding.Float32);
        writer.WriteTag(1, WireFormat.WireType.Varint);
        writer.WriteUInt64(42);
        writer.Flush();

        var parsed = ChunkWire.Deserialize(new Deserialization(output.ToArray(), segmentBytes: 3));

        Assert.Equal(new ChunkHeader(42, OperationKind.Unspecified, 0, 0, 0, Encoding.Float32), parsed.Header);
        Assert.Equal(payload, parsed.Payload.ToArray());
    }

    [Fact]
    public void A_truncated_chunk_is_refused_with_a_message_naming_what_is_wrong()
    {
        var bytes = Reference(Header, new byte[64]);

        var refusal = Assert.Throws<InvalidDataException>(() => ChunkWire.Deserialize(new Deserialization(bytes[..^10], segmentBytes: 16)));

        Assert.Contains("a field claims 64 bytes but only 54 follow", refusal.Message);
    }

    [Fact]
    public void A_forwarded_chunk_is_written_unchanged_and_its_buffer_released_once()
    {
        var payload = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        var received = ChunkWire.Deserialize(new Deserialization(Reference(Header, payload), segmentBytes: 64));
        var forward = OutgoingChunk.Forward(Header with { Step = 6 }, received);

        var ours = Serialize(forward);
        forward.Release();

        Assert.Equal(Reference(Header with { Step = 6 }, payload), ours);
        Assert.Throws<ObjectDisposedException>(() => received.Payload.ToArray());
    }

    private static byte[] Reference(ChunkHeader header, byte[] payload) => new Chunk
    {
        Operation = header.Operation,
        Kind = header.Kind,
        OperationElements = header.OperationElements,
        Step = header.Step,
        Offset = header.Offset,
        Encoding = header.Encoding,
        Payload = ByteString.CopyFrom(payload),
    }.ToByteArray();

    private static byte[] Serialize(OutgoingChunk chunk, int spanBytes = 1 << 20)
    {
        var context = new Serialization(spanBytes);
        ChunkWire.Serialize(chunk, context);
        Assert.True(context.Completed);
        Assert.Equal(context.DeclaredLength, context.Written.Length);
        return context.Written;
    }

    /// <summary>Stands in for gRPC's serialisation context, handing out spans of at most a given size.</summary>
    private sealed class Serialization(int spanBytes) : SerializationContext, IBufferWriter<byte>
    {
        private readonly ArrayBufferWriter<byte> _buffer = new();

        public int? DeclaredLength { get; private set; }

        public bool Completed { get; private set; }

        public byte[] Written => _buffer.WrittenSpan.ToArray();

        public override void SetPayloadLength(int payloadLength) => DeclaredLength = payloadLength;

        public override IBufferWriter<byte> GetBufferWriter() => this;

        public override void Complete() => Completed = true;

        public void Advance(int count) => _buffer.Advance(count);

        public Memory<byte> GetMemory(int sizeHint = 0) => _buffer.GetMemory(Math.Max(sizeHint, spanBytes))[..Math.Max(sizeHint, spanBytes)];

        public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;
    }

    /// <summary>Stands in for gRPC's deserialisation context, with the message split into segments.</summary>
    private sealed class Deserialization(byte[] message, int segmentBytes) : DeserializationContext
    {
        public override int PayloadLength => message.Length;

        public override byte[] PayloadAsNewBuffer() => message.ToArray();

        public override ReadOnlySequence<byte> PayloadAsReadOnlySequence()
        {
            Segment? first = null, last = null;
            for (var at = 0; at < message.Length; at += segmentBytes)
            {
                var segment = new Segment(message.AsMemory(at, Math.Min(segmentBytes, message.Length - at)), at);
                if (last is null)
                    first = segment;
                else
                    last.SetNext(segment);
                last = segment;
            }

            return first is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(first, 0, last!, last!.Memory.Length);
        }
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public void SetNext(Segment next) => Next = next;
    }
}
