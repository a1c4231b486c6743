namespace Orchestrator.Telemetry.Tests.TestSupport;

/// <summary>Prometheus' own linter for exposition text (<c>promtool check metrics</c>, Debian package prometheus).</summary>
internal static class Promtool
{
    public static async Task AssertValidAsync(string exposition, string source)
    {
        Assert.True(Tool.Exists("promtool"), "promtool is not installed: run scripts/setup.sh --tools (Debian package prometheus)");
        var result = await Tool.RunAsync("promtool", ["check", "metrics"], stdin: exposition);
        Assert.True(result.ExitCode == 0 && result.Stdout.Trim().Length == 0 && result.Stderr.Trim().Length == 0,
            $"promtool check metrics found problems in {source}:\n{result.Describe()}");
    }
}
