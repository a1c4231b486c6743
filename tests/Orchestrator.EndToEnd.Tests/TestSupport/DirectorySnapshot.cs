using System.Security.Cryptography;

namespace Orchestrator.EndToEnd.Tests.TestSupport;

/// <summary>Every file under a directory with its SHA-256, to prove a failed command changed nothing.</summary>
public static class DirectorySnapshot
{
    public static IReadOnlyDictionary<string, string> Take(string directory) =>
        Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).ToDictionary(
            path => Path.GetRelativePath(directory, path),
            path => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path))),
            StringComparer.Ordinal);

    /// <summary>Copies a directory tree (a dataset or run) so a test can damage its own copy.</summary>
    public static string Copy(string source, string destination)
    {
        foreach (var path in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(destination, Path.GetRelativePath(source, path));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(path, target);
        }
        return destination;
    }
}
