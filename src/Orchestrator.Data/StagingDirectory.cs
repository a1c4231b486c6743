namespace Orchestrator.Data;

/// <summary>
/// Builds an output directory beside its final location and swaps it in with renames at the end, so a failed or
/// cancelled prepare never leaves a half-written dataset where training would find it, and a replaced dataset stays
/// intact until its successor is complete. Only an empty directory or a previous dataset (one holding meta.json) is
/// ever replaced, and only when asked.
/// </summary>
internal static class StagingDirectory
{
    /// <summary>Throws <see cref="OutputDirectoryNotEmptyException"/> unless <paramref name="output"/> may be written.</summary>
    public static void EnsureReplaceable(string output, bool overwrite)
    {
        if (File.Exists(output))
        {
            throw new OutputDirectoryNotEmptyException(output, $"Output path '{output}' is a file; pass a directory to --out.");
        }
        if (!Directory.Exists(output) || !Directory.EnumerateFileSystemEntries(output).Any())
        {
            return;
        }
        if (!overwrite)
        {
            throw new OutputDirectoryNotEmptyException(output,
                $"Output directory '{output}' already exists and is not empty; pass --force to replace it, or choose another --out.");
        }
        if (!File.Exists(Path.Combine(output, DatasetMeta.FileName)))
        {
            throw new OutputDirectoryNotEmptyException(output,
                $"Output directory '{output}' is not empty and holds no {DatasetMeta.FileName}, so it is not a prepared dataset; " +
                "refusing to delete it even with --force. Choose another --out or empty it yourself.");
        }
    }

    /// <summary>Creates a hidden, uniquely named sibling of <paramref name="output"/> to build in.</summary>
    public static string Create(string output)
    {
        var parent = Path.GetDirectoryName(output) ?? throw new OutputDirectoryNotEmptyException(output, $"Cannot write a dataset to the root '{output}'; choose a subdirectory.");
        Directory.CreateDirectory(parent);
        var staging = Path.Combine(parent, $".{Path.GetFileName(output)}.tmp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        return staging;
    }

    /// <summary>Moves <paramref name="staging"/> to <paramref name="output"/>, replacing what <see cref="EnsureReplaceable"/> allows.</summary>
    public static void Commit(string staging, string output, bool overwrite)
    {
        EnsureReplaceable(output, overwrite);
        if (!Directory.Exists(output))
        {
            Directory.Move(staging, output);
            return;
        }
        var previous = Path.Combine(Path.GetDirectoryName(output)!, $".{Path.GetFileName(output)}.old-{Guid.NewGuid():N}");
        Directory.Move(output, previous);
        try
        {
            Directory.Move(staging, output);
        }
        catch
        {
            Directory.Move(previous, output);
            throw;
        }
        Directory.Delete(previous, recursive: true);
    }

    /// <summary>Removes a staging directory left by a failed run.</summary>
    public static void Discard(string staging)
    {
        if (Directory.Exists(staging))
        {
            Directory.Delete(staging, recursive: true);
        }
    }
}
