using System.Buffers.Binary;
using System.Text.Json;
using static TorchSharp.torch;

namespace Orchestrator.Training.Checkpoints;

/// <summary>
/// Writes the safetensors format (an 8-byte little-endian header length, a JSON header of name → dtype, shape and
/// byte offsets, then the raw data) from <see cref="TensorBytes"/>, so a checkpoint can be written on a thread that
/// holds no tensors. The bytes are those TorchSharp.PyBridge's <c>Safetensors.SaveStateDict</c> writes for the same
/// tensors in the same order, which PyBridge, Python's <c>safetensors</c> and <see cref="Checkpoint"/> read.
/// </summary>
internal static class SafetensorsFile
{
    /// <summary>Writes <paramref name="tensors"/> in order, with <paramref name="metadata"/> as the header's <c>__metadata__</c> when given (transformers looks for <c>format: pt</c>).</summary>
    public static void Write(Stream stream, IReadOnlyList<TensorBytes> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new MemoryStream();
        using (var json = new Utf8JsonWriter(header))
        {
            json.WriteStartObject();
            if (metadata is not null)
            {
                json.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata) json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var tensor in tensors)
            {
                json.WriteStartObject(tensor.Name);
                json.WriteString("dtype", TypeName(tensor));
                json.WriteStartArray("shape");
                foreach (var size in tensor.Shape) json.WriteNumberValue(size);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + tensor.Data.Length);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += tensor.Data.Length;
            }
            json.WriteEndObject();
        }

        Span<byte> length = stackalloc byte[sizeof(ulong)];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        header.Position = 0;
        header.CopyTo(stream);
        foreach (var tensor in tensors) stream.Write(tensor.Data);
    }

    private static string TypeName(TensorBytes tensor) => tensor.DType switch
    {
        ScalarType.Float64 => "F64",
        ScalarType.Float32 => "F32",
        ScalarType.Float16 => "F16",
        ScalarType.BFloat16 => "BF16",
        ScalarType.Int64 => "I64",
        ScalarType.Int32 => "I32",
        ScalarType.Int16 => "I16",
        ScalarType.Int8 => "I8",
        ScalarType.Byte => "U8",
        ScalarType.Bool => "BOOL",
        _ => throw new NotSupportedException($"tensor '{tensor.Name}' has dtype {tensor.DType}, which safetensors cannot hold"),
    };
}
