using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Orchestrator.Training.Progress;

namespace Orchestrator.Training.Checkpoints;

/// <summary>
/// Writes checkpoints without holding up training. On the training thread it only waits for the previous write (at
/// most one is in flight, so snapshots never pile up in memory) and takes a <see cref="CheckpointSnapshot"/>; the
/// files, fsyncs, rename, <c>latest</c>/<c>best</c> pointers, retention and the announcement follow on a background
/// task. A failed write is never dropped: the next <see cref="WriteAsync"/> or <see cref="FlushAsync"/> throws it as
/// <see cref="CheckpointWriteException"/>, and the previous checkpoint stays <c>latest</c>. One training thread uses
/// it; flush it at the end of the run and dispose it (awaiting) whichever way the run ends.
/// </summary>
public sealed class BackgroundCheckpointWriter(CheckpointStore store, int keepLast, ILogger logger) : IAsyncDisposable
{
    private readonly CheckpointWriter _writer = new(store.Directory);
    private Task? _inFlight;
    private CheckpointSnapshot? _written;

    /// <summary>
    /// Waits for the previous write (throwing its failure), calls <paramref name="capture"/> on the calling thread and
    /// starts writing in the background. <paramref name="capture"/> receives the previous snapshot, written by then, so
    /// that its buffers are reused (see <see cref="CheckpointSnapshot.Capture"/>): a run holds one snapshot's memory
    /// between checkpoints instead of allocating it anew each time. Returns the directory the checkpoint will have once
    /// published; <paramref name="announce"/> is called from the background task when it is.
    /// </summary>
    public async Task<string> WriteAsync(Func<CheckpointSnapshot?, CheckpointSnapshot> capture, bool isBest, double? valLoss,
        Action<CheckpointWritten> announce, CancellationToken cancellationToken)
    {
        var waitStarted = Stopwatch.GetTimestamp();
        await FlushAsync(cancellationToken);
        var snapshotStarted = Stopwatch.GetTimestamp();
        var snapshot = capture(_written);
        _written = null;
        var stall = Stopwatch.GetElapsedTime(waitStarted);
        var directory = Path.Combine(store.Directory, CheckpointFiles.DirectoryName(snapshot.Step));
        // Not cancelled with the run: the snapshot holds finished steps, and finishing its write is what keeps them.
        _inFlight = Task.Run(() =>
        {
            Write(snapshot, isBest, valLoss, snapshotStarted, stall, announce);
            _written = snapshot;
        }, CancellationToken.None);
        return directory;
    }

    /// <summary>Waits for the write in flight, if any; throws <see cref="CheckpointWriteException"/> if it failed.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_inFlight is not { } write) return;
        try
        {
            await write.WaitAsync(cancellationToken);
        }
        finally
        {
            // Cancelled while waiting: the write goes on, and disposal waits for it.
            if (write.IsCompleted) _inFlight = null;
        }
    }

    private void Write(CheckpointSnapshot snapshot, bool isBest, double? valLoss, long started, TimeSpan stall, Action<CheckpointWritten> announce)
    {
        var directory = Path.Combine(store.Directory, CheckpointFiles.DirectoryName(snapshot.Step));
        try
        {
            directory = _writer.Write(snapshot);
            store.Publish(directory, isBest);
            store.ApplyRetention(keepLast);
        }
        catch (Exception e)
        {
            var latest = store.LatestName is { } name ? $"'{name}'" : "none";
            throw new CheckpointWriteException(
                $"checkpoint step {snapshot.Step} could not be written to '{directory}': {e.Message} The latest complete checkpoint in '{store.Directory}' is {latest}; fix the cause (disk space, permissions) and resume from it", e);
        }
        var bytes = new DirectoryInfo(directory).EnumerateFiles().Sum(f => f.Length);
        announce(new CheckpointWritten(directory, snapshot.Step, Stopwatch.GetElapsedTime(started).TotalSeconds, bytes, valLoss, isBest)
        {
            StallSeconds = stall.TotalSeconds,
        });
    }

    /// <summary>
    /// Waits for a write still in flight. Reached with one only when the run stopped early (cancelled or failed): its
    /// failure is then logged as an error rather than thrown, so it neither hides the run's own exception nor is lost.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (_inFlight is not { } write) return;
        _inFlight = null;
        try
        {
            await write;
        }
        catch (Exception e)
        {
            CheckpointLog.WriteFailedWhileStopping(logger, e, e.Message);
        }
    }
}
