using System.Diagnostics;
using static System.FormattableString;

namespace Orchestrator.Data.Tokenizers.Bpe;

/// <summary>
/// Trains a byte-level BPE vocabulary (no .NET library trains one). Text is split with the GPT-2 regex
/// (<see cref="Gpt2PreTokenization.Pattern"/>), unique pieces are counted in parallel, and merges are learned over
/// their UTF-8 bytes until the vocabulary (256 byte tokens + merges + special tokens) reaches the target size.
/// Deterministic: the most frequent adjacent pair wins; ties go to the smaller left token id, then the smaller right
/// token id (ids are bytes 0..255, then merges in learning order), so the result does not depend on thread count.
/// </summary>
public static class BpeTrainer
{
    /// <summary>
    /// Learns the vocabulary. Stops early, with a progress message, when the corpus has no pair left to merge;
    /// the returned <see cref="BpeVocabulary.VocabSize"/> is then below <paramref name="vocabSize"/>.
    /// <paramref name="maxDegreeOfParallelism"/> bounds the threads counting pieces (-1: every core).
    /// </summary>
    public static BpeVocabulary Train(
        IReadOnlyList<string> documents,
        int vocabSize,
        IReadOnlyList<string> specialTokens,
        int maxDegreeOfParallelism = -1,
        IProgress<string>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentNullException.ThrowIfNull(specialTokens);
        ValidateSpecialTokens(specialTokens);
        int minimum = 256 + specialTokens.Count;
        if (vocabSize < minimum)
        {
            throw new ArgumentOutOfRangeException(nameof(vocabSize), vocabSize,
                $"vocab_size {vocabSize} is too small for a byte-level BPE: it needs at least 256 byte tokens + {specialTokens.Count} special token(s) = {minimum}. Use a vocab_size of at least {minimum} (4096 is a sensible start).");
        }

        var clock = Stopwatch.StartNew();
        var wordCounts = PreTokenCounter.Count(documents, specialTokens, maxDegreeOfParallelism, cancellationToken);
        progress?.Report(Invariant($"bpe: {wordCounts.Count:N0} unique pieces counted in {clock.Elapsed.TotalSeconds:F2} s"));

        int maxMerges = vocabSize - minimum;
        var vocabulary = MergeLearner.FromWordCounts(wordCounts).Learn(maxMerges, specialTokens, progress, cancellationToken);
        progress?.Report(Invariant($"bpe: {vocabulary.Merges.Count:N0} merges, vocab_size {vocabulary.VocabSize:N0}, in {clock.Elapsed.TotalSeconds:F2} s"));
        if (vocabulary.Merges.Count < maxMerges)
        {
            progress?.Report(Invariant($"bpe: the corpus ran out of pairs after {vocabulary.Merges.Count:N0} merges, so vocab_size is {vocabulary.VocabSize:N0} instead of {vocabSize:N0}; train on more text to reach it."));
        }

        return vocabulary;
    }

    private static void ValidateSpecialTokens(IReadOnlyList<string> specialTokens)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var token in specialTokens)
        {
            if (string.IsNullOrEmpty(token))
            {
                throw new ArgumentException("special_tokens holds an empty token; remove it.", nameof(specialTokens));
            }

            if (!seen.Add(token))
            {
                throw new ArgumentException($"special_tokens lists '{token}' twice; list each special token once.", nameof(specialTokens));
            }
        }
    }
}
