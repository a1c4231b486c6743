using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Orchestrator.Data.Tokenizers.Bpe;

/// <summary>
/// Counts the distinct pre-tokens (GPT-2 regex pieces, found by <see cref="Gpt2PieceSplitter"/>) of a corpus in parallel: training only ever needs each unique
/// piece once with its frequency, which turns gigabytes of text into a few hundred thousand short words.
/// Special tokens are cut out first, exactly as the library's pre-tokenizer does, so they are never learned from.
/// </summary>
internal static class PreTokenCounter
{
    /// <summary>Long documents are cut into pieces of about this many characters so all threads get work.</summary>
    internal const int ChunkChars = 1 << 18;

    public static Dictionary<string, long> Count(
        IReadOnlyList<string> documents, IReadOnlyList<string> specialTokens, int maxDegreeOfParallelism, CancellationToken cancellationToken)
    {
        var pieces = new List<(string Text, Range Range)>();
        bool canChunk = Gpt2PreTokenization.CanChunk(specialTokens);
        foreach (var document in documents)
        {
            if (canChunk && document.Length > ChunkChars)
            {
                pieces.AddRange(Gpt2PreTokenization.Chunk(document, ChunkChars).Select(r => (document, r)));
            }
            else if (document.Length > 0)
            {
                pieces.Add((document, ..));
            }
        }

        var specialRegex = Gpt2PreTokenization.SpecialTokensRegex(specialTokens);
        var partials = new ConcurrentBag<Dictionary<string, long>>();
        var options = new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism, CancellationToken = cancellationToken };
        Parallel.For(
            0, pieces.Count, options,
            () => new Dictionary<string, long>(),
            (i, _, counts) =>
            {
                var (text, range) = pieces[i];
                CountInto(counts, text.AsSpan()[range], specialRegex);
                return counts;
            },
            partials.Add);

        return MergeCounts(partials);
    }

    private static void CountInto(Dictionary<string, long> counts, ReadOnlySpan<char> text, Regex? specialRegex)
    {
        var lookup = counts.GetAlternateLookup<ReadOnlySpan<char>>();
        if (specialRegex is null)
        {
            CountPieces(lookup, text);
            return;
        }

        int start = 0;
        foreach (var special in specialRegex.EnumerateMatches(text))
        {
            CountPieces(lookup, text[start..special.Index]);
            start = special.Index + special.Length;
        }

        CountPieces(lookup, text[start..]);
    }

    private static void CountPieces(Dictionary<string, long>.AlternateLookup<ReadOnlySpan<char>> lookup, ReadOnlySpan<char> segment)
    {
        for (int i = 0; i < segment.Length;)
        {
            int length = Gpt2PieceSplitter.PieceLength(segment, i);
            CollectionsMarshal.GetValueRefOrAddDefault(lookup, segment.Slice(i, length), out _)++;
            i += length;
        }
    }

    private static Dictionary<string, long> MergeCounts(IEnumerable<Dictionary<string, long>> partials)
    {
        var ordered = partials.OrderByDescending(d => d.Count).ToList();
        if (ordered.Count == 0)
        {
            return [];
        }

        var total = ordered[0];
        foreach (var partial in ordered.Skip(1))
        {
            foreach (var (word, count) in partial)
            {
                CollectionsMarshal.GetValueRefOrAddDefault(total, word, out _) += count;
            }
        }

        return total;
    }
}
