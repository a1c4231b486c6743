namespace Orchestrator.EndToEnd.Tests.TestSupport;

/// <summary>Runs the real CLI the way a user or script does: <c>dotnet orchestrator.dll ARGS</c> in a child process.</summary>
public static class OrchestratorCli
{
    public static Task<ProcessResult> RunAsync(IReadOnlyList<string> arguments, byte[]? stdin = null, TimeSpan? timeout = null,
        IReadOnlyDictionary<string, string?>? environment = null) =>
        ExternalProcess.RunAsync("dotnet", [RepositoryPaths.CliDll, .. arguments], stdin, timeout, environment);

    public static Task<ProcessResult> RunAsync(params string[] arguments) => RunAsync((IReadOnlyList<string>)arguments);

    /// <summary>Runs and fails the test with the run's output unless it exited 0.</summary>
    public static async Task<ProcessResult> SucceedAsync(IReadOnlyList<string> arguments, byte[]? stdin = null, TimeSpan? timeout = null)
    {
        var result = await RunAsync(arguments, stdin, timeout);
        Assert.True(result.ExitCode == 0, result.Describe());
        return result;
    }

    public static Task<ProcessResult> SucceedAsync(params string[] arguments) => SucceedAsync((IReadOnlyList<string>)arguments);
}
