using System.Buffers.Binary;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Orchestrator.Training.Pretrained;

/// <summary>
/// Reads a safetensors file written by anyone (transformers, Python's <c>safetensors</c>, us): an 8-byte little-endian
/// header length, a JSON header of name → dtype, shape and data offsets (plus an optional <c>__metadata__</c>), then the
/// raw little-endian data. The header is read first so a caller can check names and shapes before any tensor is made;
/// tensors come out as float32 on the CPU whatever their stored float type.
/// </summary>
public sealed class SafetensorsReader
{
    private readonly string _path;
    private readonly long _dataStart;
    private readonly Dictionary<string, Entry> _entries;

    private SafetensorsReader(string path, long dataStart, Dictionary<string, Entry> entries) =>
        (_path, _dataStart, _entries) = (path, dataStart, entries);

    /// <summary>Tensor names and shapes, in file order.</summary>
    public IReadOnlyDictionary<string, long[]> Shapes => _entries.ToDictionary(e => e.Key, e => e.Value.Shape);

    /// <summary>Reads and checks the header of <paramref name="path"/>; throws <see cref="PretrainedModelException"/> naming the file when it is not safetensors.</summary>
    public static SafetensorsReader Open(string path)
    {
        if (!File.Exists(path)) throw new PretrainedModelException($"'{path}' does not exist: a Hugging Face model directory needs its weights in model.safetensors");
        using var stream = File.OpenRead(path);
        Span<byte> lengthBytes = stackalloc byte[8];
        if (stream.ReadAtLeast(lengthBytes, 8, throwOnEndOfStream: false) < 8)
            throw Invalid(path, "it is shorter than the 8-byte header length");
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength == 0 || headerLength > 100_000_000 || (long)headerLength > stream.Length - 8)
            throw Invalid(path, $"its header length {headerLength} does not fit the file's {stream.Length} bytes");
        var header = new byte[headerLength];
        stream.ReadExactly(header);
        var entries = new Dictionary<string, Entry>(StringComparer.Ordinal);
        var dataLength = stream.Length - 8 - (long)headerLength;
        try
        {
            using var json = JsonDocument.Parse(header);
            foreach (var property in json.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__") continue;
                var dtype = property.Value.GetProperty("dtype").GetString() ?? "";
                var shape = property.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
                var offsets = property.Value.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
                if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > dataLength)
                    throw Invalid(path, $"tensor '{property.Name}' has data offsets outside the file");
                entries[property.Name] = new Entry(dtype, shape, offsets[0], offsets[1]);
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            throw Invalid(path, $"its header is not a safetensors header ({e.Message})");
        }
        return new SafetensorsReader(path, 8 + (long)headerLength, entries);
    }

    /// <summary>Reads every tensor of the file (see <see cref="Read"/>).</summary>
    public Dictionary<string, Tensor> ReadAll() => Read(_entries.Keys.ToArray());

    /// <summary>
    /// Reads the named tensors as float32 CPU tensors (the caller owns them). Other tensors in the file are skipped
    /// without being read, so buffers of another dtype (e.g. a causal mask) cost nothing.
    /// </summary>
    public Dictionary<string, Tensor> Read(IEnumerable<string> names)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        using var stream = File.OpenRead(_path);
        try
        {
            foreach (var name in names)
            {
                var entry = _entries.TryGetValue(name, out var e) ? e : throw new PretrainedModelException($"'{_path}' has no tensor '{name}'");
                var bytes = new byte[entry.End - entry.Start];
                stream.Position = _dataStart + entry.Start;
                stream.ReadExactly(bytes);
                result[name] = ToFloat32(name, entry, bytes);
            }
            return result;
        }
        catch
        {
            foreach (var tensor in result.Values) tensor.Dispose();
            throw;
        }
    }

    private Tensor ToFloat32(string name, Entry entry, byte[] bytes)
    {
        var (stored, size) = entry.DType switch
        {
            "F32" => (ScalarType.Float32, 4),
            "F16" => (ScalarType.Float16, 2),
            "BF16" => (ScalarType.BFloat16, 2),
            "F64" => (ScalarType.Float64, 8),
            _ => throw Invalid(_path, $"tensor '{name}' has dtype {entry.DType}; weights must be F32, F16, BF16 or F64"),
        };
        var elements = entry.Shape.Aggregate(1L, (product, d) => product * d);
        if (elements * size != bytes.Length)
            throw Invalid(_path, $"tensor '{name}' of shape [{string.Join(", ", entry.Shape)}] and dtype {entry.DType} needs {elements * size} bytes, not {bytes.Length}");
        var tensor = empty(entry.Shape, stored);
        bytes.CopyTo(tensor.bytes);
        if (stored == ScalarType.Float32) return tensor;
        using (tensor) return tensor.to(ScalarType.Float32);
    }

    private static PretrainedModelException Invalid(string path, string problem) =>
        new($"'{path}' is not a readable safetensors file: {problem}; write it again with transformers' save_pretrained or `orchestrator export`");

    private sealed record Entry(string DType, long[] Shape, long Start, long End);
}
