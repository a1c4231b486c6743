using Orchestrator.Data.Tokenizers.Bpe;

namespace Orchestrator.Data.Tokenizers;

/// <summary>
/// The one place a tokenizer is made from options: kinds that learn a vocabulary (<c>char</c>, <c>bpe</c>) learn it
/// from the training documents, <c>gpt2</c> uses GPT-2's fixed vocabulary. Save the result with <see cref="TokenizerStore"/>.
/// </summary>
public static class TokenizerFactory
{
    /// <summary>Builds a tokenizer of <c>options.Kind</c>, training it on <paramref name="trainingDocuments"/> when the kind learns a vocabulary.</summary>
    public static ITextTokenizer Create(TokenizerOptions options, IReadOnlyList<string> trainingDocuments, IProgress<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(trainingDocuments);
        switch (options.Kind)
        {
            case TokenizerKind.Char:
                if (trainingDocuments.All(d => d.Length == 0))
                {
                    throw new ArgumentException("The char tokenizer learns its vocabulary from the training text, but no training document holds any text.", nameof(trainingDocuments));
                }

                var chars = CharTokenizer.Train(trainingDocuments, options.AllowUnknown);
                progress?.Report($"char: vocabulary of {chars.VocabSize} tokens");
                return chars;

            case TokenizerKind.Bpe:
                return FromBpe(BpeTrainer.Train(trainingDocuments, options.VocabSize, options.SpecialTokens, progress: progress));

            case TokenizerKind.Gpt2:
                return ByteLevelTokenizer.Gpt2();

            default:
                throw new ArgumentException(
                    $"Unknown tokenizer kind '{options.Kind}'; use one of: {string.Join(", ", TokenizerKind.All)}.", nameof(options));
        }
    }

    /// <summary>
    /// Wraps an already trained vocabulary (e.g. from <see cref="BpeTrainer.Train"/>) as a <c>bpe</c> tokenizer. The ranks
    /// are serialized to the tiktoken format first and the library loads them from there, exactly as after a save and load.
    /// </summary>
    public static ITextTokenizer FromBpe(BpeVocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        return ByteLevelTokenizer.FromRanks(
            TokenizerKind.Bpe, TiktokenRanks.Write(vocabulary.TokenBytes), vocabulary.SpecialTokenIds(), "(bpe vocabulary in memory)");
    }
}
