namespace Orchestrator.Cli.Embedded;

/// <summary>
/// The worker processes of <c>train --workers N</c>, kept at N while the job runs: a worker that dies (killed, crashed,
/// out of memory) is replaced by a fresh process under a new worker id, at most <c>--max-restarts</c> times, and the
/// coordinator re-forms the job with it from the latest checkpoint; the job's world size pins the global batch, so the
/// run goes on as it would have. A worker that dies before the job formed is replaced too (on a loaded machine its
/// connection to the coordinator can time out); one that keeps failing for a fault of its own uses up the restarts,
/// and then the caller hears of it.
/// </summary>
internal sealed class LocalWorkerPool : IDisposable
{
    private readonly Func<int, WorkerProcess> _start;
    private readonly Action<WorkerProcess> _onNotReplaced;
    private readonly int _maxReplacements;
    private readonly object _gate = new();
    private readonly List<WorkerProcess> _processes = [];
    private bool _closed;

    /// <param name="workers">Processes to start now, named <c>worker-i</c> with worker id <c>local-i</c>.</param>
    /// <param name="maxReplacements">Most processes started in place of dead ones over the whole run.</param>
    /// <param name="start">Starts the worker process with index i (replacements continue the numbering).</param>
    /// <param name="onNotReplaced">Told of a worker that died when no restarts were left.</param>
    public LocalWorkerPool(int workers, int maxReplacements, Func<int, WorkerProcess> start, Action<WorkerProcess> onNotReplaced)
    {
        (_start, _maxReplacements, _onNotReplaced) = (start, maxReplacements, onNotReplaced);
        lock (_gate)
        {
            for (var i = 0; i < workers; i++)
            {
                var process = start(i);
                Console.Error.WriteLine($"started {process.Name} ({process.WorkerId}, pid {process.Id})");
                Add(process);
            }
        }
    }

    /// <summary>Processes started in place of dead ones so far.</summary>
    public int Replacements { get; private set; }

    /// <summary>Every process started, dead ones and replacements included, in start order.</summary>
    public IReadOnlyList<WorkerProcess> Processes
    {
        get
        {
            lock (_gate) return _processes.ToList();
        }
    }

    /// <summary>The job has ended: workers that exit now are leaving, not lost.</summary>
    public void Close()
    {
        lock (_gate) _closed = true;
    }

    private void Add(WorkerProcess process)
    {
        _processes.Add(process);
        _ = ReplaceWhenLostAsync(process);
    }

    private async Task ReplaceWhenLostAsync(WorkerProcess process)
    {
        await process.Exited;
        lock (_gate)
        {
            if (_closed || process.ExitCode == 0) return;
            var how = process.ExitCode > 128 ? $"code {process.ExitCode}, signal {process.ExitCode - 128}" : $"code {process.ExitCode}";
            if (Replacements >= _maxReplacements)
            {
                Console.Error.WriteLine($"{process.Name} ({process.WorkerId}) exited ({how}); not replaced: all {_maxReplacements} restarts used (--max-restarts)");
                _onNotReplaced(process);
                return;
            }

            Replacements++;
            var replacement = _start(_processes.Count);
            Console.Error.WriteLine($"{process.Name} ({process.WorkerId}) exited ({how}); started {replacement.Name} ({replacement.WorkerId}, pid {replacement.Id}) " +
                                    $"in its place, restart {Replacements} of {_maxReplacements}");
            Add(replacement);
        }
    }

    public void Dispose()
    {
        Close();
        foreach (var process in Processes) process.Dispose();
    }
}
