using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
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

    public static PieceCounts Count(
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
        var partials = new ConcurrentBag<PieceCounts>();
        var options = new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism, CancellationToken = cancellationToken };
        Parallel.For(
            0, pieces.Count, options,
            () => new PieceCounts(),
            (i, _, counts) =>
            {
                var (text, range) = pieces[i];
                CountInto(counts, text.AsSpan()[range], specialRegex);
                return counts;
            },
            partials.Add);

        return MergeCounts(partials);
    }

    private static void CountInto(PieceCounts counts, ReadOnlySpan<char> text, Regex? specialRegex)
    {
        if (specialRegex is null)
        {
            CountPieces(counts, text);
            return;
        }

        int start = 0;
        foreach (var special in specialRegex.EnumerateMatches(text))
        {
            CountPieces(counts, text[start..special.Index]);
            start = special.Index + special.Length;
        }

        CountPieces(counts, text[start..]);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CountPieces(PieceCounts counts, ReadOnlySpan<char> segment)
    {
        for (int i = 0; i < segment.Length;)
        {
            int length = Gpt2PieceSplitter.PieceLength(segment, i);
            counts.Add(segment.Slice(i, length), 1);
            i += length;
        }
    }

    private static PieceCounts MergeCounts(IEnumerable<PieceCounts> partials)
    {
        var ordered = partials.OrderByDescending(d => d.Count).ToList();
        if (ordered.Count == 0)
        {
            return new PieceCounts();
        }

        var total = ordered[0];
        foreach (var partial in ordered.Skip(1))
        {
            total.AddAll(partial);
        }

        return total;
    }
}
