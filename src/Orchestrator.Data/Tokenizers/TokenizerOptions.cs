namespace Orchestrator.Data.Tokenizers;

/// <summary>
/// Which tokenizer to build and how. Serialized as snake_case JSON in prepare options and meta.json, so the names
/// here are the names users type.
/// </summary>
public sealed record TokenizerOptions
{
    /// <summary><c>char</c>, <c>bpe</c> or <c>gpt2</c> (see <see cref="TokenizerKind"/>).</summary>
    public string Kind { get; init; } = TokenizerKind.Char;

    /// <summary>bpe only: target vocabulary size including the 256 byte tokens and the special tokens.</summary>
    public int VocabSize { get; init; } = 4096;

    /// <summary>bpe only: tokens that are never split or merged; the first <c>&lt;|endoftext|&gt;</c> among them separates documents.</summary>
    public IReadOnlyList<string> SpecialTokens { get; init; } = [TokenizerKind.EndOfText];

    /// <summary>char only: add an <c>&lt;unk&gt;</c> token for characters outside the vocabulary instead of rejecting them.</summary>
    public bool AllowUnknown { get; init; }
}

/// <summary>The tokenizer kind names accepted in <see cref="TokenizerOptions.Kind"/> and written to tokenizer.json.</summary>
public static class TokenizerKind
{
    public const string Char = "char";
    public const string Bpe = "bpe";
    public const string Gpt2 = "gpt2";

    /// <summary>The document separator GPT-2 and our bpe share.</summary>
    public const string EndOfText = "<|endoftext|>";

    public static IReadOnlyList<string> All { get; } = [Char, Bpe, Gpt2];
}
