namespace Orchestrator.Data.Tokenizers;

/// <summary>
/// Turns bytes into token ids and back. Works on bytes, not strings, because the byte-level
/// tokenizers (<c>bpe</c>, <c>gpt2</c>) must round-trip any byte sequence exactly, invalid UTF-8 included.
/// Implementations are immutable and safe to use from several threads (corpora are encoded in parallel chunks).
/// </summary>
public interface ITextTokenizer
{
    /// <summary>The tokenizer kind as named on the command line: <c>char</c>, <c>bpe</c> or <c>gpt2</c>.</summary>
    string Kind { get; }

    /// <summary>Number of ids the model's embedding and head must cover (ids are in [0, VocabSize)).</summary>
    int VocabSize { get; }

    /// <summary>Id of the end-of-text separator placed between documents, or null when the tokenizer has none.</summary>
    int? EndOfTextId { get; }

    /// <summary>Encodes UTF-8 (or arbitrary, for byte-level tokenizers) bytes. Throws <see cref="UnencodableTextException"/> on input the vocabulary cannot express.</summary>
    int[] Encode(ReadOnlySpan<byte> bytes);

    /// <summary>Decodes ids back to the exact bytes they came from.</summary>
    byte[] Decode(ReadOnlySpan<int> ids);
}

/// <summary>Thrown when text holds something the tokenizer's vocabulary cannot express (e.g. a character outside a char vocabulary).</summary>
public sealed class UnencodableTextException(string message) : Exception(message);
