namespace Orchestrator.EndToEnd.Tests.TestSupport;

/// <summary>
/// The opening of tinyshakespeare as a small text file: enough text for val/test windows of a tiny model, small
/// enough that preparing it takes well under a second.
/// </summary>
public static class SmallCorpus
{
    public const int DefaultBytes = 20_000;

    public static string Write(string path, int bytes = DefaultBytes)
    {
        var text = File.ReadAllBytes(RepositoryPaths.TinyShakespeare).AsSpan(0, bytes).ToArray();
        // Cut at a line end so the file is plain, whole-line ASCII text.
        var end = Array.LastIndexOf(text, (byte)'\n') + 1;
        File.WriteAllBytes(path, text.AsSpan(0, end).ToArray());
        return path;
    }

    /// <summary>Runs <c>prepare</c> on <paramref name="corpus"/> into <paramref name="output"/> and returns the dataset directory.</summary>
    public static async Task<string> PrepareAsync(string corpus, string output, params string[] extra)
    {
        await OrchestratorCli.SucceedAsync(["prepare", "--input", corpus, "--out", output, .. extra]);
        return output;
    }
}
