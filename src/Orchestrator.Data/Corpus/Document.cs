namespace Orchestrator.Data.Corpus;

/// <summary>One unit of text that is never split across train/val/test (a file, a JSONL record, a Brown text).</summary>
/// <param name="Source">Where it came from, for messages: a path, <c>path:line</c> for JSONL, or <c>brown/ca01</c>.</param>
/// <param name="Text">The text, possibly not yet cleaned.</param>
public sealed record Document(string Source, string Text);
