using System.Collections.Concurrent;
using System.Diagnostics;

namespace Orchestrator.Telemetry.Tests.TestSupport;

/// <summary>A long-running child (coordinator, worker, Prometheus) whose output is kept for failure messages; killed on dispose.</summary>
internal sealed class BackgroundProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();

    public BackgroundProcess(string name, string program, IEnumerable<string> arguments)
    {
        Name = name;
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        _process = new Process { StartInfo = info };
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Name { get; }

    public bool HasExited => _process.HasExited;

    public string Output => $"--- {Name}{(HasExited ? $" (exited {_process.ExitCode})" : "")}\n{string.Join('\n', _lines)}";

    public static BackgroundProcess Cli(string name, params string[] arguments) => new(name, "dotnet", [Repository.CliDll, .. arguments]);

    private void Keep(string? line)
    {
        if (line is null) return;
        _lines.Enqueue(line);
        while (_lines.Count > 400) _lines.TryDequeue(out _);
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
        _process.Dispose();
    }
}
