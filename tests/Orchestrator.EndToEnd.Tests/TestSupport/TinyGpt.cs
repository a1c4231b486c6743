namespace Orchestrator.EndToEnd.Tests.TestSupport;

/// <summary>
/// Flags of a GPT small enough to train a few steps in about a second per process on a busy two-core machine:
/// 2 layers, 2 heads, width 32, context 32, one libtorch thread per process.
/// </summary>
public static class TinyGpt
{
    public static string[] ModelFlags =>
        ["--n-layer", "2", "--n-head", "2", "--n-embd", "32", "--block-size", "32", "--threads", "1"];

    /// <summary><c>train</c> arguments for <paramref name="data"/> into <paramref name="run"/> with the tiny model, then <paramref name="extra"/>.</summary>
    public static string[] Train(string data, string run, params string[] extra) =>
        ["train", "--data", data, "--out", run, .. ModelFlags, .. extra];

    public static string Latest(string run) => Path.Combine(run, "checkpoints", "latest");

    /// <summary>The checkpoint directory the run's <c>latest</c> pointer names.</summary>
    public static string LatestDirectory(string run) =>
        Path.Combine(run, "checkpoints", File.ReadAllText(Latest(run)).Trim());
}
