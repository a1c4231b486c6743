namespace Orchestrator.Data;

/// <summary>
/// Base of every error the data pipeline reports to a user: the message alone names the file, value or option at
/// fault and what to do, so the CLI can print it as one line and exit non-zero.
/// </summary>
public abstract class DataPipelineException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>An input path (file, folder) does not exist.</summary>
public sealed class CorpusNotFoundException(string path, string message) : DataPipelineException(message)
{
    public string Path { get; } = path;
}

/// <summary>The inputs exist but hold no usable text (no matching files, or every document empty after cleaning).</summary>
public sealed class EmptyCorpusException(string message) : DataPipelineException(message);

/// <summary>An input file cannot be read as the format its name promises (malformed JSONL line, invalid UTF-8).</summary>
public sealed class MalformedInputException(string file, long? line, string message, Exception? inner = null)
    : DataPipelineException(message, inner)
{
    public string File { get; } = file;

    /// <summary>1-based line number of the fault, when the format has lines.</summary>
    public long? Line { get; } = line;
}

/// <summary>A built-in dataset could not be fetched or failed its integrity check.</summary>
public sealed class DatasetDownloadException(string message, Exception? inner = null) : DataPipelineException(message, inner);

/// <summary>A prepare option has a value the pipeline cannot use.</summary>
public sealed class InvalidPrepareOptionsException(string option, string message) : DataPipelineException(message)
{
    /// <summary>The option's JSON / command-line name, e.g. <c>val_fraction</c>.</summary>
    public string Option { get; } = option;
}

/// <summary>The corpus cannot be cut into three non-empty splits with the requested settings.</summary>
public sealed class SplitTooSmallException(string split, string message) : DataPipelineException(message)
{
    public string Split { get; } = split;
}

/// <summary>The output directory already holds something that prepare refuses to replace.</summary>
public sealed class OutputDirectoryNotEmptyException(string directory, string message) : DataPipelineException(message)
{
    public string Directory { get; } = directory;
}

/// <summary>A prepared dataset directory is missing a file or its files disagree with meta.json.</summary>
public sealed class InvalidDatasetException(string path, string message, Exception? inner = null)
    : DataPipelineException(message, inner)
{
    public string Path { get; } = path;
}
