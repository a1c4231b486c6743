using System.Diagnostics;
using System.Text;

namespace Orchestrator.Serving.Tests.TestSupport;

/// <summary>Finds and runs the real programs some tests drive (curl, node/npm, chromium, promtool).</summary>
internal static class ExternalTools
{
    /// <summary>The full path of <paramref name="tool"/> on PATH, or null.</summary>
    public static string? Find(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, tool))
            .FirstOrDefault(File.Exists);

    public static bool Has(string tool) => Find(tool) is not null;

    /// <summary>Runs a program to completion (killing it after <paramref name="timeout"/>) and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string tool, IEnumerable<string> arguments, string? stdin = null,
        string? workingDirectory = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(Find(tool) ?? tool)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {tool}");
        var output = new StringBuilder();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }
        using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{tool} {string.Join(' ', start.ArgumentList)} did not finish within {timeout ?? TimeSpan.FromSeconds(60)}:\n{await stdout}\n{await stderr}");
        }
        output.Append(await stdout).Append(await stderr);
        return (process.ExitCode, output.ToString());
    }
}

/// <summary>A fact that is skipped, with the reason shown, when a program it drives is not installed.</summary>
public sealed class ToolFactAttribute : FactAttribute
{
    public ToolFactAttribute(string tool)
    {
        if (!ExternalTools.Has(tool))
            Skip = $"'{tool}' is not on PATH: run scripts/setup.sh --tools to install the programs these tests drive.";
    }
}
