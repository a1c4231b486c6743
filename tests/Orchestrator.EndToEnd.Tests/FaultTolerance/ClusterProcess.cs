using System.Collections.Concurrent;
using System.Diagnostics;
using Orchestrator.EndToEnd.Tests.TestSupport;

namespace Orchestrator.EndToEnd.Tests.FaultTolerance;

/// <summary>
/// A long-running CLI process of a test cluster (coordinator or worker) that a test can kill with SIGKILL, freeze with
/// SIGSTOP and thaw with SIGCONT, the way a machine failure or a hung process looks to its peers. Its output is kept
/// for failure messages and for checking what the cluster logged; it is killed on dispose.
/// </summary>
internal sealed class ClusterProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();

    private ClusterProcess(string name, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment)
    {
        Name = name;
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        info.ArgumentList.Add(RepositoryPaths.CliDll);
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        foreach (var (key, value) in environment) info.Environment[key] = value;
        _process = new Process { StartInfo = info };
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Name { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Everything the process printed so far (stdout and stderr interleaved).</summary>
    public string Log => string.Join('\n', _lines);

    public string Describe() => $"--- {Name} (pid {_process.Id}{(HasExited ? $", exited {_process.ExitCode}" : "")})\n{Log}";

    public static ClusterProcess Start(string name, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null) =>
        new(name, arguments, environment ?? new Dictionary<string, string>());

    /// <summary>SIGKILL: no shutdown code runs, sockets are reset by the kernel.</summary>
    public void KillHard()
    {
        if (HasExited) return;
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    /// <summary>SIGSTOP: the process stays alive with its sockets open but answers nothing, like a hung machine.</summary>
    public void Freeze() => Signal("STOP");

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

    private void Keep(string? line)
    {
        if (line is null) return;
        _lines.Enqueue(line);
        while (_lines.Count > 2000) _lines.TryDequeue(out _);
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
