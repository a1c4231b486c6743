using System.Text.Json;
using System.Text.Json.Serialization;

namespace Orchestrator.Data.Tokenizers;

/// <summary>
/// tokenizer.json: our small description of a saved tokenizer (kind, size, and what the kind needs to be rebuilt).
/// For bpe the vocabulary itself is a standard tiktoken ranks file beside it, named here with its SHA-256 so a mismatched
/// or damaged pair is caught on load.
/// </summary>
internal sealed record TokenizerDescriptor
{
    public const string FileName = "tokenizer.json";
    public const string BpeRanksFileName = "bpe.tiktoken";
    public const int CurrentFormat = 1;

    public int Format { get; init; } = CurrentFormat;

    public required string Kind { get; init; }

    public int VocabSize { get; init; }

    /// <summary>bpe: the pre-tokenizer regex the vocabulary was trained with.</summary>
    public string? Pattern { get; init; }

    /// <summary>bpe: special token → id.</summary>
    public Dictionary<string, int>? SpecialTokens { get; init; }

    /// <summary>bpe: the tiktoken ranks file, relative to this file's folder.</summary>
    public string? RanksFile { get; init; }

    public string? RanksSha256 { get; init; }

    /// <summary>char: the vocabulary, one character per entry, in id order.</summary>
    public List<string>? Characters { get; init; }

    public bool? AllowUnknown { get; init; }

    public static JsonSerializerOptions Json { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
