namespace Orchestrator.Data.Tokenizers.Bpe;

/// <summary>One learned merge: the two token ids joined, in the order they were learned.</summary>
public readonly record struct BpeMerge(int Left, int Right);

/// <summary>
/// What the byte-level BPE trainer learned. Token ids are ranks: ids 0..255 are the single bytes 0..255, id 256 + i is
/// the token made by <see cref="Merges"/>[i], and the special tokens follow. That is exactly the order a tiktoken ranks
/// file stores, so the vocabulary saves as one and Microsoft.ML.Tokenizers encodes with it.
/// </summary>
public sealed class BpeVocabulary
{
    public BpeVocabulary(IReadOnlyList<byte[]> tokenBytes, IReadOnlyList<BpeMerge> merges, IReadOnlyList<string> specialTokens, int skippedDuplicatePairs)
    {
        if (tokenBytes.Count != 256 + merges.Count)
        {
            throw new ArgumentException($"A BPE vocabulary has 256 byte tokens plus one per merge; got {tokenBytes.Count} tokens for {merges.Count} merges.", nameof(tokenBytes));
        }

        TokenBytes = tokenBytes;
        Merges = merges;
        SpecialTokens = specialTokens;
        SkippedDuplicatePairs = skippedDuplicatePairs;
    }

    /// <summary>The bytes of every non-special token, indexed by id (= tiktoken rank).</summary>
    public IReadOnlyList<byte[]> TokenBytes { get; }

    /// <summary>The merges in learning order; merge i produced token 256 + i.</summary>
    public IReadOnlyList<BpeMerge> Merges { get; }

    /// <summary>Special tokens; the i-th has id <c>TokenBytes.Count + i</c>.</summary>
    public IReadOnlyList<string> SpecialTokens { get; }

    /// <summary>
    /// Pairs the trainer refused because their bytes already formed a token made by another merge (a tiktoken ranks file
    /// can hold each byte string once). Reported so a surprising vocabulary can be explained; zero on the corpora measured.
    /// </summary>
    public int SkippedDuplicatePairs { get; }

    /// <summary>Byte tokens + merged tokens + special tokens.</summary>
    public int VocabSize => TokenBytes.Count + SpecialTokens.Count;

    /// <summary>The id of each special token, in declaration order.</summary>
    public IReadOnlyDictionary<string, int> SpecialTokenIds() =>
        SpecialTokens.Select((token, i) => (token, id: TokenBytes.Count + i)).ToDictionary(x => x.token, x => x.id);
}
