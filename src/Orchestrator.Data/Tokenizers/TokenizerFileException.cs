namespace Orchestrator.Data.Tokenizers;

/// <summary>
/// A saved tokenizer file is missing, unreadable or corrupt. The message names the file and what to do, so the CLI
/// can print it as one line; <see cref="Path"/> carries the file for callers that want it.
/// </summary>
public sealed class TokenizerFileException(string path, string message, Exception? inner = null) : Exception(message, inner)
{
    public string Path { get; } = path;
}
