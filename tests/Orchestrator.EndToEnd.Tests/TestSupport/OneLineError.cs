namespace Orchestrator.EndToEnd.Tests.TestSupport;

/// <summary>
/// The CLI's failure contract: exit code 1 (not a crash), nothing on standard output and exactly one line on standard
/// error, starting with <c>error:</c> and naming what is wrong. None of the failures tested print progress first:
/// they are all detected before any work starts.
/// </summary>
public static class OneLineError
{
    public static string Assert(ProcessResult result, params string[] mentions)
    {
        Xunit.Assert.True(result.ExitCode == 1, result.Describe());
        Xunit.Assert.True(result.StdoutBytes.Length == 0, $"a failing command printed to stdout: {result.Describe()}");
        var line = Xunit.Assert.Single(result.StderrLines);
        Xunit.Assert.StartsWith("error: ", line);
        foreach (var mention in mentions) Xunit.Assert.Contains(mention, line);
        return line;
    }
}
