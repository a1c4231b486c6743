using Orchestrator.Training;
using Orchestrator.Training.Checkpoints;

namespace Orchestrator.Cli.Commands;

/// <summary>
/// The rules for <c>train --out</c>: a run directory that already holds a run is continued (<c>--resume</c>) or
/// replaced (<c>--force</c>), never trained over, which would overwrite its checkpoints, move <c>latest</c> and
/// <c>best</c> back and append repeated steps to metrics.jsonl; it may not lie inside the data directory.
/// </summary>
internal static class RunDirectory
{
    /// <summary>What a run writes: any of these makes a directory a run.</summary>
    private static readonly string[] RunEntries = ["checkpoints", "metrics.jsonl", TrainLog.FileName];

    /// <summary>Throws naming the flag to use when <paramref name="runDir"/> cannot be trained into as asked. Creates nothing.</summary>
    public static void EnsureUsable(string runDir, string dataDir, bool resume, bool force)
    {
        if (resume && force) throw new ArgumentException("--resume continues the run in --out and --force replaces it: pass one of them");
        if (IsSameOrInside(runDir, dataDir))
            throw new ArgumentException($"--out '{runDir}' is {(runDir == dataDir ? "the" : "inside the")} data directory --data '{dataDir}': choose a run directory outside the dataset");
        if (File.Exists(runDir)) throw new ArgumentException($"--out '{runDir}' is a file: pass a directory");
        if (resume)
        {
            if (!Directory.Exists(runDir))
                throw new ArgumentException($"--resume: run directory '{runDir}' does not exist: pass the --out of an earlier run, or leave out --resume to start one");
            return;
        }
        if (!HoldsRun(runDir)) return;
        if (!force)
            throw new ArgumentException($"run directory '{runDir}' already holds a run: pass --resume to continue it, --force to replace it, or choose another --out");
    }

    /// <summary>
    /// Creates <paramref name="runDir"/>, first deleting the run it holds when <paramref name="force"/> (only what a run
    /// writes; other files are left alone). Called once the configuration has been validated.
    /// </summary>
    public static void Create(string runDir, bool force)
    {
        if (force && HoldsRun(runDir))
        {
            foreach (var entry in RunEntries.Select(e => Path.Combine(runDir, e)))
            {
                if (Directory.Exists(entry)) Directory.Delete(entry, recursive: true);
                else if (File.Exists(entry)) File.Delete(entry);
            }
        }
        Directory.CreateDirectory(runDir);
    }

    /// <summary>Throws when a resumed run has no checkpoint that verifies, so nothing is created or trained from scratch under --resume.</summary>
    public static Checkpoint RequireResumable(string runDir, Checkpoint? latestValid) =>
        latestValid ?? throw new InvalidRunConfigException(
            $"--resume: '{CheckpointFiles.CheckpointsDirectory(runDir)}' holds no checkpoint that verifies: leave out --resume (and pass --force) to start the run again");

    private static bool HoldsRun(string runDir) =>
        Directory.Exists(runDir) && RunEntries.Any(e => Path.Exists(Path.Combine(runDir, e)));

    private static bool IsSameOrInside(string path, string directory)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        var parent = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        return full == parent || full.StartsWith(parent + Path.DirectorySeparatorChar, StringComparison.Ordinal);
    }
}
