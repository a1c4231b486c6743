using System.Text;

namespace Orchestrator.Cli.Tests.TestSupport;

/// <summary>
/// Runs the CLI's command pipeline in this process, exactly as <c>Program</c> does (same command tree, same error
/// handling), with standard output and error captured: parsing and validation are tested in milliseconds.
/// </summary>
public static class CliRun
{
    public static async Task<CliResult> InvokeAsync(params string[] arguments)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var (originalOut, originalError) = (Console.Out, Console.Error);
        Console.SetOut(stdout);
        Console.SetError(stderr);
        try
        {
            var exitCode = await CliErrors.InvokeAsync(CliApp.CreateRoot(), arguments, CancellationToken.None);
            return new CliResult(string.Join(' ', arguments), exitCode, stdout.ToString(), stderr.ToString());
        }
        finally
        {
            Console.SetOut(originalOut);
            Console.SetError(originalError);
        }
    }

    /// <summary>Runs and fails the test with the output unless it exited 0.</summary>
    public static async Task<CliResult> SucceedAsync(params string[] arguments)
    {
        var result = await InvokeAsync(arguments);
        Assert.True(result.ExitCode == 0, result.Describe());
        return result;
    }
}

/// <summary>What one in-process run printed and returned.</summary>
public sealed record CliResult(string Command, int ExitCode, string Stdout, string Stderr)
{
    public string[] StderrLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();

    /// <summary>
    /// The failure contract: a non-zero exit, nothing on standard output and exactly one line on standard error,
    /// starting with <c>error:</c> and containing every one of <paramref name="mentions"/>.
    /// </summary>
    public string AssertOneLineError(params string[] mentions)
    {
        Assert.True(ExitCode is 1 or 2, Describe());
        Assert.True(Stdout.Length == 0, $"a failing command printed to stdout: {Describe()}");
        var line = Assert.Single(StderrLines);
        Assert.StartsWith("error: ", line);
        foreach (var mention in mentions) Assert.Contains(mention, line);
        return line;
    }

    public string Describe() => new StringBuilder()
        .Append($"`orchestrator {Command}` exited {ExitCode}\n--- stdout ---\n{Tail(Stdout)}\n--- stderr ---\n{Tail(Stderr)}").ToString();

    private static string Tail(string text) => text.Length <= 4000 ? text : "..." + text[^4000..];
}
