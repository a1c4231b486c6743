namespace Orchestrator.Training.Checkpoints;

/// <summary>
/// The checkpoint layout, in one place:
/// <code>
/// RUN_DIR/checkpoints/
///   latest, best            pointer files holding a directory name (e.g. "step-00000500"), replaced atomically
///   step-00000500/          one complete checkpoint
///     model.safetensors     weights named as in the module's state_dict (loadable by PyTorch's safetensors)
///     optimizer.safetensors AdamW moments "{parameter}.exp_avg" / "{parameter}.exp_avg_sq"
///     optimizer.json        AdamW step count and hyper-parameters
///     trainer_state.json    step, data position, tokens seen, best validation loss, RNG state
///     compressor.safetensors only with PowerSGD: "{parameter}.q" (n × rank, the same on every rank) and
///                           "{parameter}.error.rank{k}" (m × n, rank k's error feedback) for k below trainer_state's
///                           world_size; a resume with another world size keeps the Q's and zeroes the errors
///     config.json           the RunConfig
///     tokenizer.json ...    the tokenizer files of the prepared data
///     manifest.json         size and SHA-256 of all the above; written last
///   .tmp-step-00000600-*/   a checkpoint being written (never read; removed by retention)
/// </code>
/// Pointer files rather than symlinks: they are replaced with one atomic rename on every file system and OS, and
/// survive copying a run directory to object storage.
/// </summary>
public static class CheckpointFiles
{
    public const string Model = "model.safetensors";
    public const string OptimizerMoments = "optimizer.safetensors";
    public const string OptimizerState = "optimizer.json";
    public const string TrainerState = "trainer_state.json";
    public const string Compressor = "compressor.safetensors";
    public const string Config = "config.json";
    public const string LatestPointer = "latest";
    public const string BestPointer = "best";
    public const string TemporaryPrefix = ".tmp-";
    public const string StepPrefix = "step-";

    public static string DirectoryName(long step) => $"{StepPrefix}{step:D8}";

    public static string CheckpointsDirectory(string runDirectory) => Path.Combine(runDirectory, "checkpoints");

    /// <summary>Parses the step from a name written by <see cref="DirectoryName"/>; null for anything else.</summary>
    public static long? StepOf(string directoryName) =>
        directoryName.StartsWith(StepPrefix, StringComparison.Ordinal)
        && long.TryParse(directoryName.AsSpan(StepPrefix.Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var step)
            ? step
            : null;
}
