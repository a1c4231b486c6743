using System.Diagnostics;

namespace Orchestrator.EndToEnd.Tests.TestSupport;

/// <summary>
/// Runs a program as a child process, feeding standard input and capturing both outputs. A run past its timeout is
/// killed with its whole process tree (training workers included) and reported with what it had printed.
/// </summary>
public static class ExternalProcess
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(2);

    public static async Task<ProcessResult> RunAsync(string program, IReadOnlyList<string> arguments, byte[]? stdin = null, TimeSpan? timeout = null,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        // The one-line error contract is under test; the CLI's debug switch would add a stack trace.
        info.Environment.Remove("ORCHESTRATOR_DEBUG");
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null) info.Environment.Remove(name);
            else info.Environment[name] = value;
        }

        var command = $"{Path.GetFileName(program)} {string.Join(' ', arguments)}";
        var limit = timeout ?? DefaultTimeout;
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start '{program}'");
        using var stdout = new MemoryStream();
        var stdoutTask = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        var stderrTask = process.StandardError.ReadToEndAsync();
        if (stdin is not null) await process.StandardInput.BaseStream.WriteAsync(stdin);
        process.StandardInput.Close();

        using var deadline = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            await Task.WhenAll(stdoutTask, stderrTask);
            var killed = new ProcessResult(command, -1, stdout.ToArray(), await stderrTask);
            throw new TimeoutException($"killed after {limit}: {killed.Describe()}");
        }
        await Task.WhenAll(stdoutTask, stderrTask);
        return new ProcessResult(command, process.ExitCode, stdout.ToArray(), await stderrTask);
    }
}
