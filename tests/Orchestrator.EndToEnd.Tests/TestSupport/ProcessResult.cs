using System.Text;

namespace Orchestrator.EndToEnd.Tests.TestSupport;

/// <summary>What one run of a program left behind: exit code, standard output (raw bytes and as text) and standard error.</summary>
public sealed record ProcessResult(string Command, int ExitCode, byte[] StdoutBytes, string Stderr)
{
    public string Stdout => Encoding.UTF8.GetString(StdoutBytes);

    public string[] StdoutLines => Lines(Stdout);

    public string[] StderrLines => Lines(Stderr);

    /// <summary>The last line of standard output: where commands print their JSON result.</summary>
    public string LastStdoutLine => StdoutLines.Length > 0 ? StdoutLines[^1] : "";

    /// <summary>Everything needed to see why an assertion about this run failed.</summary>
    public string Describe() =>
        $"`{Command}` exited {ExitCode}\n--- stdout (tail) ---\n{Tail(Stdout)}\n--- stderr (tail) ---\n{Tail(Stderr)}";

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();

    private static string Tail(string text) => text.Length <= 4000 ? text : "..." + text[^4000..];
}
