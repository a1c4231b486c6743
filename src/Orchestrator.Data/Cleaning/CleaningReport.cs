namespace Orchestrator.Data.Cleaning;

/// <summary>
/// What cleaning changed, recorded in meta.json so a surprising token count can be traced to the step that caused it.
/// Counts for a step that was turned off are zero.
/// </summary>
public sealed record CleaningReport
{
    public long DocumentsIn { get; init; }
    public long DocumentsOut { get; init; }
    public long CharactersIn { get; init; }
    public long CharactersOut { get; init; }

    /// <summary>Documents whose text changed under NFC composition.</summary>
    public long DocumentsNormalized { get; init; }

    /// <summary>Unpaired UTF-16 surrogates (only reachable through JSON escapes) replaced by U+FFFD so the text can be normalized and encoded.</summary>
    public long LoneSurrogatesReplaced { get; init; }

    public long MarkupTagsRemoved { get; init; }
    public long EntitiesDecoded { get; init; }
    public long ControlCharactersRemoved { get; init; }
    public long LineEndingsConverted { get; init; }
    public long TrailingWhitespaceRemoved { get; init; }
    public long BlankLinesRemoved { get; init; }
    public long DuplicatesDropped { get; init; }
    public long EmptyDropped { get; init; }
}
