namespace Orchestrator.Data.Cleaning;

/// <summary>
/// Which cleaning steps run; each is on by default and can be turned off when the corpus needs its raw form
/// (e.g. markup stripping off for an HTML-generation corpus, whitespace off for source code).
/// </summary>
public sealed record CleaningOptions
{
    /// <summary>Compose text to Unicode NFC, so "é" is one character whatever the source's normalization form.</summary>
    public bool NormalizeUnicode { get; init; } = true;

    /// <summary>Strip HTML/XML tags, comments and script/style blocks, then decode entities such as <c>&amp;amp;</c>.</summary>
    public bool StripMarkup { get; init; } = true;

    /// <summary>Remove control characters except tab and line endings (line endings are the whitespace step's business).</summary>
    public bool RemoveControlCharacters { get; init; } = true;

    /// <summary>Turn CR LF and lone CR into LF, drop trailing spaces, leading/trailing blank lines and runs of blank lines.</summary>
    public bool NormalizeWhitespace { get; init; } = true;

    /// <summary>Drop documents whose cleaned text is identical (by SHA-256) to an earlier one.</summary>
    public bool DropDuplicates { get; init; } = true;

    /// <summary>Drop documents that are empty or whitespace only after cleaning.</summary>
    public bool DropEmpty { get; init; } = true;
}
