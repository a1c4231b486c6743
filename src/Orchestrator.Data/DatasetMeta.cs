using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using Orchestrator.Data.Cleaning;
using Orchestrator.Data.Corpus;
using Orchestrator.Data.Shards;
using Orchestrator.Data.Splitting;

namespace Orchestrator.Data;

/// <summary>
/// meta.json: the contract between <c>prepare</c> and everything that reads a dataset. It says how to read the shards
/// (dtype, token counts), which tokenizer the ids belong to, and how the data was made (source, cleaning counts, every
/// option, tool version), so a training run can be traced back to its exact inputs.
/// </summary>
public sealed record DatasetMeta
{
    public const string FileName = "meta.json";

    /// <summary>Bumped when the layout changes incompatibly; readers refuse versions they do not know.</summary>
    public const int CurrentFormatVersion = 1;

    public int FormatVersion { get; init; } = CurrentFormatVersion;
    public required string ToolVersion { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>Tokenizer kind: <c>char</c>, <c>bpe</c> or <c>gpt2</c>.</summary>
    public required string Tokenizer { get; init; }

    public required int VocabSize { get; init; }

    [JsonPropertyName("dtype")]
    public required TokenDType TokenDType { get; init; }

    /// <summary>The tokenizer files in the dataset directory (tokenizer.json, ...), to copy next to checkpoints.</summary>
    public required IReadOnlyList<string> TokenizerFiles { get; init; }

    /// <summary>Keyed by <c>train</c>, <c>val</c>, <c>test</c>.</summary>
    public required IReadOnlyDictionary<string, SplitInfo> Splits { get; init; }

    public required SourceInfo Source { get; init; }
    public required CleaningReport Cleaning { get; init; }
    public required PrepareOptions Options { get; init; }

    /// <summary>The version of the Orchestrator.Data assembly, written into every meta.json.</summary>
    public static string CurrentToolVersion { get; } =
        typeof(DatasetMeta).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(DatasetMeta).Assembly.GetName().Version?.ToString()
        ?? "unknown";

    /// <summary>Path of a split's shard in a dataset directory: <c>train.bin</c>, <c>val.bin</c>, <c>test.bin</c>.</summary>
    public static string ShardPath(string dataDir, string split) => Path.Combine(dataDir, $"{split}.bin");

    /// <summary>Reads and checks meta.json; every problem is an <see cref="InvalidDatasetException"/> naming the file.</summary>
    public static DatasetMeta Load(string dataDir)
    {
        var path = Path.Combine(Path.GetFullPath(dataDir), FileName);
        if (!File.Exists(path))
        {
            throw new InvalidDatasetException(path,
                $"'{path}' does not exist: '{dataDir}' is not a prepared dataset. Run `orchestrator prepare --out {dataDir}` first.");
        }
        DatasetMeta? meta;
        try
        {
            meta = JsonSerializer.Deserialize<DatasetMeta>(File.ReadAllText(path), DataJson.Options);
        }
        catch (JsonException ex)
        {
            throw new InvalidDatasetException(path, $"'{path}' is not valid dataset metadata ({ex.Message}); re-run `orchestrator prepare` (with --force).", ex);
        }
        if (meta is null)
        {
            throw new InvalidDatasetException(path, $"'{path}' is empty (null); re-run `orchestrator prepare` (with --force).");
        }
        meta.Validate(path);
        return meta;
    }

    /// <summary>Writes meta.json atomically (temporary file, then rename).</summary>
    public void Save(string dataDir)
    {
        var path = Path.Combine(dataDir, FileName);
        var temporary = Path.Combine(dataDir, $".{FileName}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.WriteAllText(temporary, JsonSerializer.Serialize(this, DataJson.Options));
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    private void Validate(string path)
    {
        if (FormatVersion != CurrentFormatVersion)
        {
            throw new InvalidDatasetException(path,
                $"'{path}' has format version {FormatVersion}, but this tool reads version {CurrentFormatVersion}; " +
                "re-run `orchestrator prepare` with this version or use the version that wrote it.");
        }
        if (VocabSize <= 0 || VocabSize - 1 > TokenDType.MaxId())
        {
            throw new InvalidDatasetException(path,
                $"'{path}' records vocab_size {VocabSize}, which {TokenDType.Name()} shards cannot hold; the file is corrupt, re-run `orchestrator prepare`.");
        }
        foreach (var split in DatasetSplits.Names)
        {
            if (!Splits.TryGetValue(split, out var info))
            {
                throw new InvalidDatasetException(path, $"'{path}' has no entry for the {split} split; re-run `orchestrator prepare`.");
            }
            if (info.Tokens < 0 || info.Documents < 0 || info.Bytes < 0)
            {
                throw new InvalidDatasetException(path, $"'{path}' records negative counts for the {split} split; the file is corrupt, re-run `orchestrator prepare`.");
            }
        }
    }
}
