using System.Diagnostics;

namespace Orchestrator.Cli.Embedded;

/// <summary>
/// A worker child process started by <c>train --workers N</c>: the same executable running <c>worker</c>, its output
/// streamed line by line with a <c>[worker-i]</c> prefix so progress from every rank shows on one terminal.
/// </summary>
internal sealed class WorkerProcess : IDisposable
{
    private readonly Process _process;
    private bool _disposed;

    private WorkerProcess(Process process) => _process = process;

    public string Name { get; private init; } = "";

    /// <summary>The id it registers with (<c>--worker-id</c>).</summary>
    public string WorkerId { get; private init; } = "";

    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    /// <summary>Completes when the process has exited, whatever the cause (128 + N in <see cref="ExitCode"/> for signal N).</summary>
    public Task Exited => _process.WaitForExitAsync();

    /// <summary>
    /// Starts <c>worker --worker-id WORKER_ID ARGUMENTS</c>; <paramref name="environment"/> is added to this process's
    /// environment (secrets go here, not in arguments).
    /// </summary>
    public static WorkerProcess Start(string name, string workerId, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = SelfInvocation.StartInfo(["worker", "--worker-id", workerId, .. arguments]);
        // Idle thread-pool threads spinning for work steal the cores the ring all-reduce needs (25-50% more bandwidth
        // without spinning in bench/allreduce on 2 cores); a user's own setting wins.
        info.Environment.TryAdd("DOTNET_ThreadPool_UnfairSemaphoreSpinLimit", "0");
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) info.Environment[key] = value;
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Forward(name, e.Data, Console.Out);
        process.ErrorDataReceived += (_, e) => Forward(name, e.Data, Console.Error);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new WorkerProcess(process) { Name = name, WorkerId = workerId };
    }

    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public void Kill()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Kill();
        _process.Dispose();
    }

    private static void Forward(string name, string? line, TextWriter writer)
    {
        if (line is not null) writer.WriteLine($"[{name}] {line}");
    }
}
