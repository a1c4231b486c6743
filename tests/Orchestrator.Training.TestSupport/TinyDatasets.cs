using System.Security.Cryptography;
using System.Text;
using Orchestrator.Data;
using Orchestrator.Data.Cleaning;
using Orchestrator.Data.Corpus;
using Orchestrator.Data.Shards;
using Orchestrator.Data.Tokenizers;

namespace Orchestrator.Training.TestSupport;

/// <summary>Prepared datasets small enough for unit tests, written with the real Data API (char tokenizer, shards, meta.json).</summary>
public static class TinyDatasets
{
    /// <summary>Writes a dataset whose splits hold exactly the given texts, tokenized with <paramref name="tokenizerKind"/>, and opens it.</summary>
    public static PreparedDataset Create(string directory, string train, string val, string? test = null, string tokenizerKind = "char")
    {
        Directory.CreateDirectory(directory);
        test ??= val;
        var tokenizer = TokenizerFactory.Create(new TokenizerOptions { Kind = tokenizerKind }, [train, val, test]);
        var tokenizerFiles = TokenizerStore.Save(tokenizer, directory);
        var dtype = TokenDTypeExtensions.ForVocabulary(tokenizer.VocabSize);
        var splits = new Dictionary<string, SplitInfo>();
        foreach (var (name, text) in new[] { ("train", train), ("val", val), ("test", test) })
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            var tokens = tokenizer.Encode(bytes);
            var path = DatasetMeta.ShardPath(directory, name);
            TokenShardWriter.Write(path, tokens, dtype);
            splits[name] = new SplitInfo(1, bytes.Length, tokens.Length, Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))));
        }
        new DatasetMeta
        {
            ToolVersion = "tests",
            CreatedAt = DateTimeOffset.UnixEpoch,
            Tokenizer = tokenizer.Kind,
            VocabSize = tokenizer.VocabSize,
            TokenDType = dtype,
            TokenizerFiles = tokenizerFiles,
            Splits = splits,
            Source = new SourceInfo([], null, null, 0, 3, 0),
            Cleaning = new CleaningReport(),
            Options = new PrepareOptions { OutputDirectory = directory },
        }.Save(directory);
        return PreparedDataset.Open(directory);
    }

    /// <summary>A dataset of pseudo-English made from a fixed word list by a fixed generator: same text on every machine.</summary>
    public static PreparedDataset Words(string directory, int trainChars = 6000, int valChars = 1500) =>
        Create(directory, WordText(trainChars, seed: 1), WordText(valChars, seed: 2));

    public static string WordText(int length, int seed)
    {
        string[] words = ["the", "king", "shall", "speak", "of", "love", "and", "war", "to", "my", "lord", "good", "night", "sweet", "prince"];
        var state = (uint)seed * 2654435761u + 1;
        var text = new StringBuilder(length + 16);
        while (text.Length < length)
        {
            state = state * 1664525u + 1013904223u;
            text.Append(words[(state >> 16) % (uint)words.Length]);
            text.Append((state >> 8) % 7 == 0 ? ".\n" : " ");
        }
        return text.ToString(0, length);
    }
}
