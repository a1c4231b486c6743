namespace Orchestrator.Data;

/// <summary>What one split's shard holds, as recorded in meta.json.</summary>
/// <param name="Documents">Documents (or spans, when split by spans) in the split.</param>
/// <param name="Bytes">UTF-8 bytes of the text the tokens encode, separators included: the denominator of bits per byte.</param>
/// <param name="Tokens">Tokens in the <c>.bin</c> file.</param>
/// <param name="Sha256">SHA-256 of the <c>.bin</c> file, lowercase hex as <c>sha256sum</c> prints it.</param>
public sealed record SplitInfo(long Documents, long Bytes, long Tokens, string Sha256);
