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
    /// Deletes all but the <paramref name="keepLast"/> most recent checkpoints (0 keeps all), never the ones
    /// <c>latest</c> and <c>best</c> point to, plus any leftover temporary directory of an interrupted write.
    /// Returns the directories removed.
    /// </summary>
    public IReadOnlyList<string> ApplyRetention(int keepLast)
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

        var protectedNames = new[] { Latest, Best }.OfType<string>().Select(Path.GetFileName).ToHashSet();
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
