using System.Diagnostics;

namespace Orchestrator.TestSupport;

/// <summary>
/// Runs one of the independent PyTorch references that numeric tests compare against, with Debian's python3-torch
/// (<c>/usr/bin/python3</c>, torch 1.13; not the pyenv python, which has no torch).
/// </summary>
public static class PyTorchScript
{
    public const string Python = "/usr/bin/python3";

    /// <summary>
    /// Runs <paramref name="script"/> with <paramref name="arguments"/> and returns what it printed. Throws naming the
    /// script when python3-torch is missing, the script outlives <paramref name="timeout"/> or exits with an error.
    /// </summary>
    public static string Run(string script, IEnumerable<string> arguments, TimeSpan timeout)
    {
        if (!File.Exists(Python))
            throw new InvalidOperationException($"{Python} is missing: install python3-torch (scripts/setup.sh --tools) to run the PyTorch cross-check");
        using var process = Process.Start(new ProcessStartInfo(Python, [script, .. arguments])
        {
            RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false,
        })!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"the PyTorch reference {Path.GetFileName(script)} did not finish within {timeout.TotalMinutes:F0} minutes");
        }

        if (process.ExitCode != 0)
            throw new InvalidOperationException($"the PyTorch reference {Path.GetFileName(script)} failed (exit {process.ExitCode}): {stdout.Result}{stderr.Result}");
        return stdout.Result;
    }

    /// <summary>The last line a reference printed: where the scripts put their JSON result, after any progress lines.</summary>
    public static string LastLine(string output) => output.Trim().Split('\n')[^1];

    /// <summary>A script copied next to the test assembly (<c>Reference/NAME</c>, as the test projects lay them out).</summary>
    public static string Beside(string name) => Path.Combine(AppContext.BaseDirectory, "Reference", name);
}
