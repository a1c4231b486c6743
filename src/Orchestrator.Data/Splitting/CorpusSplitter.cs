using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Orchestrator.Data.Splitting;

/// <summary>
/// Assigns documents to train/val/test. By document, the order is set by SHA-256(seed ‖ text): a document's split
/// depends only on its own text, the seed and the split sizes, never on file-system order, and adding one file moves
/// few others. Split sizes round <c>n × fraction</c> for val and test, with at least one document each; train takes
/// the rest. A one-document corpus (or <see cref="SplitMode.Spans"/>) is cut into spans instead.
/// Any split left empty is an error saying which and what to change.
/// </summary>
public static class CorpusSplitter
{
    public static DatasetSplits Split(IReadOnlyList<string> documents, SplitFractions fractions, int seed, SplitMode mode)
    {
        ArgumentNullException.ThrowIfNull(documents);
        var bySpans = mode == SplitMode.Spans || (mode == SplitMode.Auto && documents.Count == 1);
        var splits = bySpans ? BySpans(documents, fractions) : ByDocuments(documents, fractions, seed);
        foreach (var name in DatasetSplits.Names)
        {
            if (splits[name].Count == 0)
            {
                throw EmptySplit(name, documents, fractions, bySpans);
            }
        }
        return splits;
    }

    private static DatasetSplits BySpans(IReadOnlyList<string> documents, SplitFractions fractions)
    {
        List<string> train = [], val = [], test = [];
        foreach (var document in documents)
        {
            var (a, b, c) = SpanSplitter.Cut(document, fractions);
            AddIfNotEmpty(train, a);
            AddIfNotEmpty(val, b);
            AddIfNotEmpty(test, c);
        }
        return new DatasetSplits(train, val, test);
    }

    private static void AddIfNotEmpty(List<string> split, string span)
    {
        if (span.Length > 0)
        {
            split.Add(span);
        }
    }

    private static DatasetSplits ByDocuments(IReadOnlyList<string> documents, SplitFractions fractions, int seed)
    {
        var n = documents.Count;
        if (n < DatasetSplits.Names.Count)
        {
            return new DatasetSplits(documents.Take(1).ToList(), documents.Skip(1).Take(1).ToList(), []);
        }
        var val = Math.Max(1, (int)Math.Round(n * fractions.Val, MidpointRounding.AwayFromZero));
        var test = Math.Max(1, (int)Math.Round(n * fractions.Test, MidpointRounding.AwayFromZero));
        while (n - val - test < 1)
        {
            if (val >= test) { val--; } else { test--; }
        }
        var order = Enumerable.Range(0, n)
            .Select(i => (Index: i, Key: SplitKey(documents[i], seed)))
            .OrderBy(x => x.Key)
            .ThenBy(x => x.Index)
            .Select(x => x.Index)
            .ToArray();
        var trainCount = n - val - test;
        return new DatasetSplits(
            Pick(documents, order[..trainCount]),
            Pick(documents, order[trainCount..(trainCount + val)]),
            Pick(documents, order[(trainCount + val)..]));
    }

    private static List<string> Pick(IReadOnlyList<string> documents, int[] indices)
    {
        Array.Sort(indices);
        return indices.Select(i => documents[i]).ToList();
    }

    private static UInt128 SplitKey(string text, int seed)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> seedBytes = stackalloc byte[sizeof(int)];
        BinaryPrimitives.WriteInt32LittleEndian(seedBytes, seed);
        hash.AppendData(seedBytes);
        hash.AppendData(Encoding.UTF8.GetBytes(text));
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        hash.GetHashAndReset(digest);
        return BinaryPrimitives.ReadUInt128BigEndian(digest);
    }

    private static SplitTooSmallException EmptySplit(string name, IReadOnlyList<string> documents, SplitFractions fractions, bool bySpans)
    {
        if (!bySpans)
        {
            return new SplitTooSmallException(name,
                $"The {name} split would be empty: the corpus has {documents.Count} document(s) after cleaning, and splitting " +
                $"by document needs at least {DatasetSplits.Names.Count}. Add documents, or pass --split-by spans to cut every " +
                "document into train/val/test spans.");
        }
        var characters = documents.Sum(d => (long)d.Length);
        var fraction = name switch { "train" => fractions.Train, "val" => fractions.Val, _ => fractions.Test };
        return new SplitTooSmallException(name,
            $"The {name} split would be empty: the corpus has only {characters} character(s) after cleaning, too few " +
            $"for a {fraction:0.###} {name} span. Use a larger corpus or raise --{name}-fraction.");
    }
}
