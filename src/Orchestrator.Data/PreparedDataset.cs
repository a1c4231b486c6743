using Orchestrator.Data.Shards;
using Orchestrator.Data.Splitting;
using Orchestrator.Data.Tokenizers;

namespace Orchestrator.Data;

/// <summary>
/// A dataset directory written by <c>prepare</c>, checked as a whole when opened (meta.json readable, every shard
/// present with the token count meta.json records, tokenizer loadable and of the recorded kind and size), so training
/// fails at start-up with a clear message instead of hours later on a short read. Shards are mapped on first use and
/// owned by the dataset.
/// </summary>
public sealed class PreparedDataset : IDisposable
{
    private readonly Dictionary<string, TokenShard> _shards = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private bool _disposed;

    private PreparedDataset(string directory, DatasetMeta meta, ITextTokenizer tokenizer)
    {
        Directory = directory;
        Meta = meta;
        Tokenizer = tokenizer;
    }

    public string Directory { get; }
    public DatasetMeta Meta { get; }
    public ITextTokenizer Tokenizer { get; }

    public static PreparedDataset Open(string dataDir)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDir);
        var directory = Path.GetFullPath(dataDir);
        if (!System.IO.Directory.Exists(directory))
        {
            throw new InvalidDatasetException(directory,
                $"Dataset directory '{directory}' does not exist; run `orchestrator prepare --out {dataDir}` first.");
        }
        var meta = DatasetMeta.Load(directory);
        foreach (var split in DatasetSplits.Names)
        {
            var path = DatasetMeta.ShardPath(directory, split);
            if (!File.Exists(path))
            {
                throw new InvalidDatasetException(path,
                    $"Shard '{path}' is missing from the dataset; re-run `orchestrator prepare` (with --force) to rebuild it.");
            }
            TokenShard.CountTokens(path, meta.TokenDType, meta.Splits[split].Tokens);
        }
        var tokenizer = LoadTokenizer(directory, meta);
        return new PreparedDataset(directory, meta, tokenizer);
    }

    /// <summary>The shard of <paramref name="name"/> (<c>train</c>, <c>val</c> or <c>test</c>), mapped on first call.</summary>
    public TokenShard Split(string name)
    {
        if (!DatasetSplits.Names.Contains(name))
        {
            throw new ArgumentOutOfRangeException(nameof(name), name, $"Unknown split '{name}'; splits are {string.Join(", ", DatasetSplits.Names)}.");
        }
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_shards.TryGetValue(name, out var shard))
            {
                shard = TokenShard.Open(DatasetMeta.ShardPath(Directory, name), Meta.TokenDType, Meta.Splits[name].Tokens);
                _shards[name] = shard;
            }
            return shard;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            foreach (var shard in _shards.Values)
            {
                shard.Dispose();
            }
            _shards.Clear();
        }
    }

    private static ITextTokenizer LoadTokenizer(string directory, DatasetMeta meta)
    {
        var tokenizer = TokenizerStore.Load(directory);
        if (!string.Equals(tokenizer.Kind, meta.Tokenizer, StringComparison.Ordinal) || tokenizer.VocabSize != meta.VocabSize)
        {
            throw new InvalidDatasetException(directory,
                $"The tokenizer in '{directory}' is {tokenizer.Kind} with {tokenizer.VocabSize} ids, but meta.json records " +
                $"{meta.Tokenizer} with {meta.VocabSize}: the files come from different runs; re-run `orchestrator prepare` (with --force).");
        }
        return tokenizer;
    }
}
