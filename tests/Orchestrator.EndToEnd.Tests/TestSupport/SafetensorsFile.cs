using System.Buffers.Binary;
using System.Text.Json;

namespace Orchestrator.EndToEnd.Tests.TestSupport;

/// <summary>One float32 tensor of a safetensors file.</summary>
public sealed record StoredTensor(string Name, long[] Shape, float[] Values);

/// <summary>
/// An independent reader of the safetensors format (8-byte little-endian header length, a JSON header mapping each
/// name to dtype, shape and [begin, end) offsets into the data that follows), so the tests check the files the CLI
/// writes without going through the code that wrote them.
/// </summary>
public static class SafetensorsFile
{
    public static IReadOnlyDictionary<string, StoredTensor> Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var headerLength = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(bytes));
        var dataStart = 8 + headerLength;
        using var header = JsonDocument.Parse(bytes.AsMemory(8, headerLength));
        var tensors = new Dictionary<string, StoredTensor>(StringComparer.Ordinal);
        foreach (var entry in header.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__") continue;
            var dtype = entry.Value.GetProperty("dtype").GetString();
            if (dtype != "F32") throw new NotSupportedException($"'{path}': tensor '{entry.Name}' is {dtype}; these tests read F32 checkpoints");
            var shape = entry.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            var offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            var count = shape.Aggregate(1L, (a, b) => a * b);
            if (offsets[1] - offsets[0] != count * sizeof(float))
                throw new InvalidDataException($"'{path}': tensor '{entry.Name}' of shape [{string.Join(", ", shape)}] spans {offsets[1] - offsets[0]} bytes");
            var values = new float[count];
            for (var i = 0; i < count; i++)
                values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(checked((int)(dataStart + offsets[0] + i * sizeof(float))), sizeof(float)));
            tensors[entry.Name] = new StoredTensor(entry.Name, shape, values);
        }
        return tensors;
    }
}
