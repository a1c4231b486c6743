using System.Runtime.CompilerServices;
using System.Text;

namespace Orchestrator.Data.Tokenizers.Bpe;

/// <summary>
/// The merge loop of byte-level BPE over unique words. Pair counts are computed once, then kept exact with incremental
/// updates: each pair knows the words it occurs in (an append-only list that may hold words it has since left), so a
/// merge touches only those words, and a lazy max-heap hands out the most frequent pair. No step rescans the corpus.
/// Words live in one flat symbol array and shrink in place as merges apply.
/// </summary>
internal sealed class MergeLearner
{
    private readonly int[] _symbols;
    private readonly int[] _wordStart;
    private readonly int[] _wordLength;
    private readonly long[] _wordCount;
    private readonly int[] _wordStamp;
    private int _stamp;

    private readonly PairIndex _pairIds = new();
    private int[] _pairLeft = new int[1024];
    private int[] _pairRight = new int[1024];
    private long[] _pairCount = new long[1024];
    private int[][] _pairWords = new int[1024][];
    private int[] _pairWordCount = new int[1024];
    private int _pairs;

    private readonly PairQueue _queue = new();

    private MergeLearner(int[] symbols, int[] wordStart, int[] wordLength, long[] wordCount)
    {
        _symbols = symbols;
        _wordStart = wordStart;
        _wordLength = wordLength;
        _wordCount = wordCount;
        _wordStamp = new int[wordCount.Length];
    }

    /// <summary>Lays the words out as byte symbols; single-byte words are dropped since they hold no pair.</summary>
    public static MergeLearner FromWordCounts(PieceCounts wordCounts)
    {
        var kept = new List<(byte[] Bytes, long Count)>(wordCounts.Count);
        long totalSymbols = 0;
        foreach (var (word, count) in wordCounts.Entries())
        {
            var bytes = Encoding.UTF8.GetBytes(word);
            if (bytes.Length >= 2)
            {
                kept.Add((bytes, count));
                totalSymbols += bytes.Length;
            }
        }

        var symbols = new int[checked((int)totalSymbols)];
        var starts = new int[kept.Count];
        var lengths = new int[kept.Count];
        var counts = new long[kept.Count];
        int offset = 0;
        for (int w = 0; w < kept.Count; w++)
        {
            var (bytes, count) = kept[w];
            starts[w] = offset;
            lengths[w] = bytes.Length;
            counts[w] = count;
            foreach (var b in bytes)
            {
                symbols[offset++] = b;
            }
        }

        return new MergeLearner(symbols, starts, lengths, counts);
    }

    /// <summary>
    /// Learns up to <paramref name="maxMerges"/> merges (fewer when no pair is left). A pair whose joined bytes already
    /// are a token is skipped for good, so every token's bytes are unique, as a tiktoken ranks file requires.
    /// </summary>
    public BpeVocabulary Learn(int maxMerges, IReadOnlyList<string> specialTokens, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var tokenBytes = new List<byte[]>(256 + maxMerges);
        var known = new HashSet<byte[]>(ByteArrayComparer.Instance);
        for (int b = 0; b < 256; b++)
        {
            tokenBytes.Add([(byte)b]);
            known.Add(tokenBytes[b]);
        }

        CountInitialPairs();
        var merges = new List<BpeMerge>(maxMerges);
        int skipped = 0;
        int reportEvery = Math.Max(1, maxMerges / 10);
        while (merges.Count < maxMerges && _queue.Count > 0)
        {
            var (count, pair) = _queue.Pop();
            long current = _pairCount[pair];
            if (current != count)
            {
                if (current > 0)
                {
                    _queue.Push(current, _pairLeft[pair], _pairRight[pair], pair);
                }

                continue;
            }

            int left = _pairLeft[pair], right = _pairRight[pair];
            byte[] joined = [.. tokenBytes[left], .. tokenBytes[right]];
            if (!known.Add(joined))
            {
                skipped++;
                continue;
            }

            int newToken = tokenBytes.Count;
            tokenBytes.Add(joined);
            merges.Add(new BpeMerge(left, right));
            ApplyMerge(pair, newToken);

            if (merges.Count % 256 == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            if (progress is not null && merges.Count % reportEvery == 0)
            {
                progress.Report($"bpe: {merges.Count}/{maxMerges} merges learned");
            }
        }

        return new BpeVocabulary(tokenBytes, merges, specialTokens, skipped);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void CountInitialPairs()
    {
        for (int w = 0; w < _wordStart.Length; w++)
        {
            int start = _wordStart[w], end = start + _wordLength[w];
            long count = _wordCount[w];
            for (int i = start; i + 1 < end; i++)
            {
                AddOccurrences(_symbols[i], _symbols[i + 1], count, w);
            }
        }

        for (int p = 0; p < _pairs; p++)
        {
            _queue.Push(_pairCount[p], _pairLeft[p], _pairRight[p], p);
        }
    }

    /// <summary>Replaces every (left, right) in the words that hold the pair by <paramref name="newToken"/>, updating neighbour pairs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ApplyMerge(int pair, int newToken)
    {
        int left = _pairLeft[pair], right = _pairRight[pair];
        int firstNewPair = _pairs;
        var words = _pairWords[pair];
        int wordCount = _pairWordCount[pair];
        _stamp++;
        for (int k = 0; k < wordCount; k++)
        {
            int w = words[k];
            if (_wordStamp[w] == _stamp)
            {
                continue;
            }

            _wordStamp[w] = _stamp;
            MergeInWord(w, left, right, newToken);
        }

        _pairWords[pair] = [];
        _pairWordCount[pair] = 0;

        // Only pairs holding the new token can have gained: they are all new, so push each once, with its final count.
        for (int p = firstNewPair; p < _pairs; p++)
        {
            if (_pairCount[p] > 0)
            {
                _queue.Push(_pairCount[p], _pairLeft[p], _pairRight[p], p);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void MergeInWord(int w, int left, int right, int newToken)
    {
        int start = _wordStart[w], end = start + _wordLength[w];
        long count = _wordCount[w];
        int read = start, write = start;
        while (read < end)
        {
            if (read + 1 < end && _symbols[read] == left && _symbols[read + 1] == right)
            {
                AddOccurrences(left, right, -count, w);
                if (write > start)
                {
                    // The left neighbour is already final (it may be a fresh newToken).
                    int previous = _symbols[write - 1];
                    AddOccurrences(previous, left, -count, w);
                    AddOccurrences(previous, newToken, count, w);
                }

                if (read + 2 < end)
                {
                    int next = _symbols[read + 2];
                    AddOccurrences(right, next, -count, w);
                    AddOccurrences(newToken, next, count, w);
                }

                _symbols[write++] = newToken;
                read += 2;
            }
            else
            {
                _symbols[write++] = _symbols[read++];
            }
        }

        _wordLength[w] = write - start;
    }

    /// <summary>Adds <paramref name="delta"/> to a pair's count; a gain also records that word <paramref name="w"/> holds it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void AddOccurrences(int left, int right, long delta, int w)
    {
        ref int id = ref _pairIds.GetOrAddSlot(left, right, out bool exists);
        if (!exists)
        {
            id = NewPair(left, right);
        }

        int p = id;
        _pairCount[p] += delta;
        if (delta > 0)
        {
            var list = _pairWords[p];
            int n = _pairWordCount[p];
            if (n > 0 && list[n - 1] == w)
            {
                return;
            }

            if (n == list.Length)
            {
                Array.Resize(ref _pairWords[p], Math.Max(4, n * 2));
            }

            _pairWords[p][n] = w;
            _pairWordCount[p] = n + 1;
        }
    }

    private int NewPair(int left, int right)
    {
        if (_pairs == _pairLeft.Length)
        {
            int size = _pairs * 2;
            Array.Resize(ref _pairLeft, size);
            Array.Resize(ref _pairRight, size);
            Array.Resize(ref _pairCount, size);
            Array.Resize(ref _pairWords, size);
            Array.Resize(ref _pairWordCount, size);
        }

        int p = _pairs++;
        _pairLeft[p] = left;
        _pairRight[p] = right;
        _pairCount[p] = 0;
        _pairWords[p] = [];
        _pairWordCount[p] = 0;
        return p;
    }

    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>
    {
        public static readonly ByteArrayComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] bytes)
        {
            var hash = new HashCode();
            hash.AddBytes(bytes);
            return hash.ToHashCode();
        }
    }
}
