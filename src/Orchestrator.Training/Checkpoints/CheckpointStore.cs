using Microsoft.Extensions.Logging;
using Orchestrator.Common.Storage;

namespace Orchestrator.Training.Checkpoints;

/// <summary>
/// The <c>checkpoints/</c> directory of a run: which checkpoint is <c>latest</c> and which is <c>best</c> (pointer
/// files, see <see cref="CheckpointFiles"/>), and retention. Only rank 0 of a run writes here.
/// </summary>
public sealed class CheckpointStore(string checkpointsDirectory)
{
    public string Directory { get; } = checkpointsDirectory;

    public static CheckpointStore ForRun(string runDirectory) => new(CheckpointFiles.CheckpointsDirectory(runDirectory));

    /// <summary>The directory <c>latest</c> points to, or null when the run has no checkpoint yet.</summary>
    public string? Latest => ReadPointer(CheckpointFiles.LatestPointer);

    /// <summary>The directory <c>best</c> points to, or null when no evaluation has produced one yet.</summary>
    public string? Best => ReadPointer(CheckpointFiles.BestPointer);

    /// <summary>Steps of the complete checkpoint directories present, ascending (temporary directories excluded).</summary>
    public IReadOnlyList<long> Steps() =>
        !System.IO.Directory.Exists(Directory)
            ? []
            : System.IO.Directory.EnumerateDirectories(Directory)
                .Select(d => CheckpointFiles.StepOf(Path.GetFileName(d)))
                .OfType<long>()
                .Order()
                .ToArray();

    /// <summary>Atomically points <c>latest</c> (and <c>best</c> when <paramref name="isBest"/>) at <paramref name="checkpointDirectory"/>.</summary>
    public void Publish(string checkpointDirectory, bool isBest)
    {
        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(checkpointDirectory));
        if (isBest) DurableFiles.ReplaceText(Path.Combine(Directory, CheckpointFiles.BestPointer), name + "\n");
        DurableFiles.ReplaceText(Path.Combine(Directory, CheckpointFiles.LatestPointer), name + "\n");
    }

    /// <summary>
    /// The checkpoint to resume from: <c>latest</c> if it verifies (every file against the manifest's SHA-256), else
    /// the newest older one that does, each skipped one logged as a warning naming it and what is wrong. A missing,
    /// unreadable or dangling <c>latest</c> falls back the same way. Null when the directory holds no checkpoint at
    /// all; <see cref="CorruptCheckpointException"/> listing every directory tried when none verifies.
    /// </summary>
    public Checkpoint? LatestValid(ILogger logger)
    {
        var tried = new List<string>();
        void Skip(string what, string reason)
        {
            CheckpointLog.SkippedDamaged(logger, what, reason);
            tried.Add($"{what} ({reason})");
        }

        long? newest = null;
        var pointer = Path.Combine(Directory, CheckpointFiles.LatestPointer);
        if (File.Exists(pointer))
        {
            var name = File.ReadAllText(pointer).Trim();
            if (CheckpointFiles.StepOf(name) is not { } step)
            {
                Skip(pointer, $"the pointer holds '{name}', not a checkpoint directory name");
            }
            else
            {
                newest = step;
                var target = Path.Combine(Directory, name);
                if (!System.IO.Directory.Exists(target)) Skip(target, $"'{pointer}' names it but it does not exist");
                else if (TryLoad(target, Skip) is { } latest) return latest;
            }
        }
        foreach (var step in Steps().Where(s => newest is null || s < newest).Reverse())
        {
            if (TryLoad(Path.Combine(Directory, CheckpointFiles.DirectoryName(step)), Skip) is { } older) return older;
        }
        if (tried.Count == 0) return null;
        throw new CorruptCheckpointException(
            $"no checkpoint in '{Directory}' verifies; tried {string.Join("; ", tried)}. Restore a checkpoint from a backup or start the run without resume");
    }

    private static Checkpoint? TryLoad(string directory, Action<string, string> skip)
    {
        try
        {
            return Checkpoint.Load(directory);
        }
        catch (Exception e) when (e is CorruptCheckpointException or IOException or UnauthorizedAccessException)
        {
            // IOException: a file vanished or could not be read mid-verification (e.g. rank 0 applying retention).
            skip(directory, e.Message);
            return null;
        }
    }

    /// <summary>
    /// Deletes all but the <paramref name="keepLast"/> most recent checkpoints (0 keeps all), never the ones
    /// <c>latest</c> and <c>best</c> point to nor <paramref name="keep"/> (the checkpoint a run resumed from, which may
    /// be older than a damaged <c>latest</c>), plus any leftover temporary directory of an interrupted write.
    /// Returns the directories removed.
    /// </summary>
    public IReadOnlyList<string> ApplyRetention(int keepLast, string? keep = null)
    {
        if (!System.IO.Directory.Exists(Directory)) return [];
        var removed = new List<string>();
        foreach (var leftover in System.IO.Directory.EnumerateDirectories(Directory, CheckpointFiles.TemporaryPrefix + "*"))
        {
            System.IO.Directory.Delete(leftover, recursive: true);
            removed.Add(leftover);
        }
        foreach (var pointerLeftover in System.IO.Directory.EnumerateFiles(Directory, "*" + CheckpointFiles.TemporaryPrefix + "*"))
            File.Delete(pointerLeftover);
        if (keepLast == 0) return removed;

        // Pointer names are read without checking their targets: a damaged pointer must not stop retention.
        var protectedNames = new[] { PointerName(CheckpointFiles.LatestPointer), PointerName(CheckpointFiles.BestPointer), keep is null ? null : Path.GetFileName(Path.TrimEndingDirectorySeparator(keep)) }
            .OfType<string>().ToHashSet();
        var steps = Steps();
        foreach (var step in steps.Take(Math.Max(0, steps.Count - keepLast)))
        {
            var name = CheckpointFiles.DirectoryName(step);
            if (protectedNames.Contains(name)) continue;
            var path = Path.Combine(Directory, name);
            System.IO.Directory.Delete(path, recursive: true);
            removed.Add(path);
        }
        return removed;
    }

    /// <summary>The directory name <c>latest</c> holds, unchecked (null without one): for messages about what is still there.</summary>
    public string? LatestName => PointerName(CheckpointFiles.LatestPointer);

    private string? PointerName(string pointer)
    {
        var path = Path.Combine(Directory, pointer);
        return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
    }

    private string? ReadPointer(string pointer)
    {
        var path = Path.Combine(Directory, pointer);
        if (!File.Exists(path)) return null;
        var name = File.ReadAllText(path).Trim();
        if (CheckpointFiles.StepOf(name) is null)
            throw new CorruptCheckpointException($"pointer file '{path}' holds '{name}', not a checkpoint directory name: delete it or write e.g. {CheckpointFiles.DirectoryName(0)}");
        var target = Path.Combine(Directory, name);
        if (!System.IO.Directory.Exists(target))
            throw new CheckpointNotFoundException($"pointer file '{path}' names '{name}', which does not exist in '{Directory}': point it at an existing checkpoint");
        return target;
    }
}
