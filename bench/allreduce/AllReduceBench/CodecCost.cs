using System.Buffers;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Grpc.Core;
using Orchestrator.Collective.Protos;
using Orchestrator.Collective.Transport;

namespace AllReduceBench;

/// <summary>
/// What one chunk costs to encode and decode on one thread, outside gRPC: the generated Google.Protobuf
/// <c>Chunk</c> (the ring's codec before ChunkWire: payload wrapped on send, parsed into a new ByteString on
/// receive) against <see cref="ChunkWire"/> (payload written from the float buffer, parsed into a pooled array).
/// Process CPU time, which the machine's load barely moves, and bytes allocated per chunk.
/// </summary>
internal static class CodecCost
{
    public static string Measure(int chunkBytes)
    {
        var floats = new float[chunkBytes / sizeof(float)];
        Array.Fill(floats, 0.5f);
        var header = new ChunkHeader(12, OperationKind.AllReduce, 1 << 24, 3, 1 << 20, Orchestrator.Collective.Protos.Encoding.Float32);
        var output = new Output();
        var generated = Time(output, () =>
        {
            var chunk = new Chunk
            {
                Operation = header.Operation, Kind = header.Kind, OperationElements = header.OperationElements, Step = header.Step,
                Offset = header.Offset, Encoding = header.Encoding,
                Payload = UnsafeByteOperations.UnsafeWrap(MemoryMarshal.AsBytes(floats.AsSpan()).ToArray()), // stands in for the wrapped buffer
            };
            output.SetPayloadLength(chunk.CalculateSize());
            chunk.WriteTo(output.GetBufferWriter());
            var parsed = Chunk.Parser.ParseFrom(output.Sequence);
            return parsed.Payload.Span[^1];
        }, floats);
        var wire = Time(output, () =>
        {
            ChunkWire.Serialize(OutgoingChunk.FromFloats(header, floats), output);
            var parsed = ChunkWire.Deserialize(new Input(output.Sequence));
            var last = parsed.Payload[^1];
            parsed.Release();
            return last;
        }, null);
        return $"chunk codec, {chunkBytes >> 10} KiB float32, one thread: generated Chunk {generated.Micros:F1} µs and " +
               $"{generated.Allocated / 1024.0:F1} KiB allocated per chunk ({generated.Micros * 1e3 / chunkBytes:F2} CPU s/GB); " +
               $"ChunkWire {wire.Micros:F1} µs and {wire.Allocated / 1024.0:F2} KiB ({wire.Micros * 1e3 / chunkBytes:F2} CPU s/GB)";
    }

    // The generated path's ToArray above copies the floats once more than the ring did (it wrapped them without a
    // copy), so that copy is timed alone and subtracted.
    private static (double Micros, double Allocated) Time(Output output, Func<byte> roundTrip, float[]? copied)
    {
        const int rounds = 4000;
        for (var i = 0; i < 200; i++)
        {
            output.Reset();
            roundTrip();
        }

        using var self = Process.GetCurrentProcess();
        var cpu = self.TotalProcessorTime;
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < rounds; i++)
        {
            output.Reset();
            roundTrip();
        }

        var bytes = GC.GetAllocatedBytesForCurrentThread() - allocated;
        self.Refresh();
        var seconds = (self.TotalProcessorTime - cpu).TotalSeconds;
        if (copied is not null)
        {
            var start = self.TotalProcessorTime;
            var extraBytes = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < rounds; i++)
                _ = MemoryMarshal.AsBytes(copied.AsSpan()).ToArray();
            extraBytes = GC.GetAllocatedBytesForCurrentThread() - extraBytes;
            self.Refresh();
            seconds -= (self.TotalProcessorTime - start).TotalSeconds;
            bytes -= extraBytes;
        }

        return (seconds / rounds * 1e6, (double)bytes / rounds);
    }

    private sealed class Output : SerializationContext
    {
        private readonly ArrayBufferWriter<byte> _buffer = new(1 << 20);

        public ReadOnlySequence<byte> Sequence => new(_buffer.WrittenMemory);

        public void Reset() => _buffer.ResetWrittenCount();

        public override void SetPayloadLength(int payloadLength)
        {
        }

        public override IBufferWriter<byte> GetBufferWriter() => _buffer;

        public override void Complete()
        {
        }
    }

    private sealed class Input(ReadOnlySequence<byte> payload) : DeserializationContext
    {
        public override int PayloadLength => (int)payload.Length;

        public override byte[] PayloadAsNewBuffer() => payload.ToArray();

        public override ReadOnlySequence<byte> PayloadAsReadOnlySequence() => payload;
    }
}
