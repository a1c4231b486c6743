using System.Collections.Concurrent;
using System.Diagnostics;

namespace Orchestrator.TestSupport;

/// <summary>
/// A long-running child process of a test (a coordinator, a worker, Prometheus) that a test can kill with SIGKILL,
/// freeze with SIGSTOP and thaw with SIGCONT, the way a machine failure or a hung process looks to its peers. Its
/// output is kept for failure messages and for checking what it logged; it is killed on dispose.
/// </summary>
public sealed class ChildProcess : IDisposable
{
    private const int KeptLines = 2000;

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly ConcurrentQueue<string> _stdout = new();

    private ChildProcess(string name, ProcessStartInfo info)
    {
        Name = name;
        _process = new Process { StartInfo = info };
        _process.OutputDataReceived += (_, e) =>
        {
            Keep(e.Data);
            Keep(e.Data, _stdout);
        };
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Name { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Everything the process printed so far (stdout and stderr interleaved).</summary>
    public string Log => string.Join('\n', _lines);

    /// <summary>What the process printed on standard output alone (its results; logs belong on standard error).</summary>
    public string StandardOutput => string.Join('\n', _stdout);


    public string Describe() => $"--- {Name} (pid {_process.Id}{(HasExited ? $", exited {_process.ExitCode}" : "")})\n{Log}";

    /// <summary>Starts <paramref name="program"/> (found on PATH) with <paramref name="arguments"/>.</summary>
    public static ChildProcess Start(string name, string program, IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (workingDirectory is not null) info.WorkingDirectory = workingDirectory;
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) info.Environment[key] = value;
        return new ChildProcess(name, info);
    }

    /// <summary>Starts the CLI (<see cref="RepositoryPaths.CliDll"/>) with <paramref name="arguments"/>, from the test binaries' directory.</summary>
    public static ChildProcess Cli(string name, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null) =>
        Start(name, "dotnet", [RepositoryPaths.CliDll, .. arguments], environment, AppContext.BaseDirectory);

    public static ChildProcess Cli(string name, params string[] arguments) => Cli(name, arguments, environment: null);

    /// <summary>SIGKILL: no shutdown code runs, sockets are reset by the kernel.</summary>
    public void KillHard()
    {
        if (HasExited) return;
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    /// <summary>SIGSTOP: the process stays alive with its sockets open but answers nothing, like a hung machine.</summary>
    public void Freeze() => Signal("STOP");

    /// <summary>SIGTERM: what docker stop, pod deletion and systemd send to ask for a clean exit.</summary>
    public void Terminate() => Signal("TERM");

    /// <summary>SIGCONT after <see cref="Freeze"/>.</summary>
    public void Thaw() => Signal("CONT");

    public Task WaitForExitAsync(CancellationToken cancellationToken) => _process.WaitForExitAsync(cancellationToken);

    private void Signal(string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + signal, Pid.ToString()]) { UseShellExecute = false })
                         ?? throw new InvalidOperationException("could not run kill");
        kill.WaitForExit();
        if (kill.ExitCode != 0) throw new InvalidOperationException($"kill -{signal} {Pid} exited {kill.ExitCode}");
    }

    private void Keep(string? line) => Keep(line, _lines);

    private static void Keep(string? line, ConcurrentQueue<string> lines)
    {
        if (line is null) return;
        lines.Enqueue(line);
        while (lines.Count > KeptLines) lines.TryDequeue(out _);
    }

    public void Dispose()
    {
        try
        {
            if (!HasExited)
            {
                Thaw();
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Exited between the check and the signal.
        }
        _process.Dispose();
    }
}
