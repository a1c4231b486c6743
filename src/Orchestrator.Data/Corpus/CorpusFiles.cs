namespace Orchestrator.Data.Corpus;

/// <summary>
/// Expands input paths into the files to read, sorted by full path (ordinal) so the corpus order never depends on
/// the order the file system happens to list a folder in. Folders are searched recursively for the given extensions;
/// hidden files and folders (<c>.git</c>, editor backups) are skipped. A file named explicitly is read whatever its extension.
/// </summary>
public static class CorpusFiles
{
    public static IReadOnlyList<string> Resolve(IReadOnlyList<string> inputs, IReadOnlyList<string> extensions)
    {
        var wanted = new HashSet<string>(extensions, StringComparer.OrdinalIgnoreCase);
        var files = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var input in inputs)
        {
            var full = Path.GetFullPath(input);
            if (File.Exists(full))
            {
                files.Add(full);
                continue;
            }
            if (!Directory.Exists(full))
            {
                throw new CorpusNotFoundException(full, $"Input '{input}' does not exist (looked for '{full}'); check the path.");
            }
            var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = false };
            var found = Directory.EnumerateFiles(full, "*", options).Where(f => wanted.Contains(Path.GetExtension(f))).ToList();
            if (found.Count == 0)
            {
                throw new EmptyCorpusException(
                    $"Folder '{full}' holds no files ending in {string.Join(", ", extensions)} (searched recursively); " +
                    "pass --extensions to read other kinds of file.");
            }
            files.UnionWith(found);
        }
        return [.. files];
    }

    /// <summary>True for files read as JSON Lines (<c>.jsonl</c>, <c>.ndjson</c>).</summary>
    public static bool IsJsonLines(string path) =>
        Path.GetExtension(path).ToLowerInvariant() is ".jsonl" or ".ndjson";
}
