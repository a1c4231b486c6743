using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Orchestrator.Training.Checkpoints;

/// <summary>
/// <c>manifest.json</c>: the size and SHA-256 of every other file of a checkpoint. It is written last, so a
/// directory without one is incomplete, and verifying it catches truncated or altered files before they are loaded.
/// </summary>
public sealed record CheckpointManifest
{
    public const string FileName = "manifest.json";
    public const int CurrentFormat = 1;

    [JsonPropertyName("format")] public int Format { get; init; } = CurrentFormat;
    [JsonPropertyName("step")] public long Step { get; init; }
    [JsonPropertyName("files")] public IReadOnlyList<ManifestEntry> Files { get; init; } = [];

    /// <summary>Hashes the named files of <paramref name="directory"/>.</summary>
    public static CheckpointManifest Describe(string directory, long step, IEnumerable<string> fileNames) => new()
    {
        Step = step,
        Files = fileNames.Order(StringComparer.Ordinal).Select(name =>
        {
            var path = Path.Combine(directory, name);
            return new ManifestEntry(name, new FileInfo(path).Length, Sha256Of(path));
        }).ToArray(),
    };

    /// <summary>
    /// Reads the manifest of <paramref name="directory"/> and checks every listed file; throws
    /// <see cref="CorruptCheckpointException"/> naming the first file that is missing, truncated or altered.
    /// </summary>
    public static CheckpointManifest Verify(string directory)
    {
        var manifestPath = Path.Combine(directory, FileName);
        if (!File.Exists(manifestPath))
            throw new CorruptCheckpointException($"checkpoint '{directory}' is incomplete: {FileName} is missing (the write was interrupted); use an earlier checkpoint");
        CheckpointManifest manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<CheckpointManifest>(File.ReadAllText(manifestPath))
                       ?? throw new CorruptCheckpointException($"checkpoint '{directory}': {FileName} is empty");
        }
        catch (JsonException e)
        {
            throw new CorruptCheckpointException($"checkpoint '{directory}': {FileName} is not valid JSON ({e.Message})");
        }
        if (manifest.Format != CurrentFormat)
            throw new CorruptCheckpointException($"checkpoint '{directory}' has format {manifest.Format}; this build reads format {CurrentFormat}");
        foreach (var entry in manifest.Files)
        {
            var path = Path.Combine(directory, entry.Name);
            if (!File.Exists(path))
                throw new CorruptCheckpointException($"checkpoint '{directory}' is damaged: file '{entry.Name}' is missing");
            var size = new FileInfo(path).Length;
            if (size != entry.Size)
                throw new CorruptCheckpointException($"checkpoint '{directory}' is damaged: file '{entry.Name}' has {size} bytes, the manifest says {entry.Size}");
            if (!string.Equals(Sha256Of(path), entry.Sha256, StringComparison.OrdinalIgnoreCase))
                throw new CorruptCheckpointException($"checkpoint '{directory}' is damaged: file '{entry.Name}' does not match its SHA-256 in the manifest (altered after writing)");
        }
        return manifest;
    }

    /// <summary>Hashes a file through a pooled buffer (no allocation per file: this runs beside training).</summary>
    public static string Sha256Of(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            int read;
            while ((read = stream.Read(buffer, 0, buffer.Length)) > 0) hash.AppendData(buffer, 0, read);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}

/// <summary>One file of a checkpoint as recorded in its manifest.</summary>
public sealed record ManifestEntry(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("size")] long Size,
    [property: JsonPropertyName("sha256")] string Sha256);
