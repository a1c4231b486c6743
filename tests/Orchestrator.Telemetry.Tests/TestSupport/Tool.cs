using System.Diagnostics;

namespace Orchestrator.Telemetry.Tests.TestSupport;

/// <summary>Runs an external program to completion (promtool, docker-compose, the CLI) and keeps what it printed.</summary>
internal static class Tool
{
    public sealed record Result(string Command, int ExitCode, string Stdout, string Stderr)
    {
        public string Describe() => $"{Command} exited {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
    }

    public static bool Exists(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => File.Exists(Path.Combine(d, program)));

    public static async Task<Result> RunAsync(string program, IReadOnlyList<string> arguments, string? stdin = null,
        string? workingDirectory = null, TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
        };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start '{program}'");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null) await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(1));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} did not finish in time");
        }
        return new Result($"{program} {string.Join(' ', arguments)}", process.ExitCode, await stdout, await stderr);
    }
}
