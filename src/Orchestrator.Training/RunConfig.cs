using System.Text.Json;
using System.Text.Json.Serialization;
using Orchestrator.Models;
using Orchestrator.Training.Pretrained;
using Orchestrator.Training.Configuration;

namespace Orchestrator.Training;

/// <summary>
/// The whole description of a training run: the model and how to train it. It is written into every checkpoint
/// (<c>config.json</c>) so a checkpoint alone is enough to rebuild the model for evaluation, generation or serving.
/// </summary>
public sealed record RunConfig
{
    [JsonPropertyName("model")] public ModelConfig Model { get; init; } = new();
    [JsonPropertyName("training")] public TrainingOptions Training { get; init; } = new();

    /// <summary>The pretrained model this run started from (fine-tuning); null for a run trained from scratch.</summary>
    [JsonPropertyName("init_from")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public BaseModelReference? InitFrom { get; init; }

    internal static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    /// <summary>
    /// Reads a run configuration a person wrote; the error names the file and what is wrong with it, an unknown key
    /// included (<see cref="UnknownJsonKeyException"/>).
    /// </summary>
    public static RunConfig Load(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"run configuration '{path}' does not exist: pass the config.json of a run or checkpoint", path);
        try
        {
            var json = File.ReadAllText(path);
            StrictJson.EnsureKnownKeys<RunConfig>(json, JsonOptions, $"run configuration '{path}'");
            return JsonSerializer.Deserialize<RunConfig>(json, JsonOptions)
                   ?? throw new InvalidRunConfigException($"run configuration '{path}' is empty: write a JSON object with \"model\" and \"training\"");
        }
        catch (JsonException e)
        {
            throw new InvalidRunConfigException($"run configuration '{path}' is not valid JSON ({e.Message}): fix or regenerate the file");
        }
    }

    public void Save(string path) => File.WriteAllText(path, ToJson());

    /// <summary>
    /// This configuration with vocab_size taken from the prepared data when it is left at 0. A job spec may leave it
    /// out: the data directory is the workers' path, so only a process that opened the data knows its vocabulary.
    /// </summary>
    public RunConfig WithVocabularyOf(int dataVocabSize) =>
        Model.VocabSize > 0 ? this : this with { Model = Model with { VocabSize = dataVocabSize } };

    /// <summary>
    /// <see cref="Validate"/> for a configuration whose data has not been opened yet (a submitted job): vocab_size may
    /// be 0, meaning "the data's" (<see cref="WithVocabularyOf"/>); everything else is checked now.
    /// </summary>
    public void ValidateBeforeData() => WithVocabularyOf(1).Validate();

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>
    /// Throws <see cref="InvalidModelConfigException"/> or <see cref="InvalidRunConfigException"/> naming the first bad
    /// field and how to fix it, so a bad flag fails at start instead of hours into a run.
    /// </summary>
    public void Validate()
    {
        Model.Validate();
        if (Model.Lora is not null && InitFrom is null)
            throw new InvalidRunConfigException("lora adapters need a base model to adapt: pass --init-from PATH (a Hugging Face GPT-2 directory or one of our checkpoints), or set init_from");
        if (InitFrom is { Format: { } format } && !BaseModelReference.Formats.Contains(format))
            throw new InvalidRunConfigException($"init_from format '{format}' is unknown: use {string.Join(" or ", BaseModelReference.Formats)}");
        var t = Training;
        Require(t.LearningRate > 0 && double.IsFinite(t.LearningRate), "learning_rate", t.LearningRate, "must be a positive number (e.g. 1e-3)");
        Require(t.MinLr >= 0 && t.MinLr <= t.LearningRate, "min_lr", t.MinLr, $"must be in [0, learning_rate = {t.LearningRate}]");
        Require(t.MaxSteps > 0, "max_steps", t.MaxSteps, "must be positive");
        Require(t.WarmupSteps >= 0, "warmup_steps", t.WarmupSteps, "must be zero or positive");
        Require(TrainingOptions.KnownSchedules.Contains(t.LrSchedule), "lr_schedule", t.LrSchedule, $"use one of {string.Join(", ", TrainingOptions.KnownSchedules)}");
        Require(t.LrDecaySteps is null || t.LrDecaySteps > t.WarmupSteps, "lr_decay_steps", t.LrDecaySteps, $"must be greater than warmup_steps ({t.WarmupSteps}) or left out to mean max_steps");
        Require(t.LrDecaySteps is not null || t.LrSchedule == "constant" || t.MaxSteps > t.WarmupSteps, "warmup_steps", t.WarmupSteps, $"must be smaller than max_steps ({t.MaxSteps}) for a decaying schedule");
        Require(t.BatchSize > 0, "batch_size", t.BatchSize, "must be positive");
        Require(t.GradAccumSteps > 0, "grad_accum_steps", t.GradAccumSteps, "must be positive");
        Require(t.GlobalBatchSize is null or > 0, "global_batch_size", t.GlobalBatchSize, "must be positive (sequences per optimizer step over all workers) or left out to mean world_size x batch_size x grad_accum_steps");
        Require(t.WeightDecay >= 0, "weight_decay", t.WeightDecay, "must be zero or positive");
        Require(t.Beta1 is >= 0 and < 1, "beta1", t.Beta1, "must be in [0, 1)");
        Require(t.Beta2 is >= 0 and < 1, "beta2", t.Beta2, "must be in [0, 1)");
        Require(t.Eps > 0, "eps", t.Eps, "must be positive (e.g. 1e-8)");
        Require(t.GradClip >= 0, "grad_clip", t.GradClip, "must be zero (off) or positive");
        Require(t.EvalInterval >= 0, "eval_interval", t.EvalInterval, "must be zero (only at the end) or positive");
        Require(t.EvalBatches > 0, "eval_batches", t.EvalBatches, "must be positive");
        Require(t.CheckpointInterval >= 0, "checkpoint_interval", t.CheckpointInterval, "must be zero (only final and best) or positive");
        Require(t.KeepLastCheckpoints >= 0, "keep_last_checkpoints", t.KeepLastCheckpoints, "must be zero (keep all) or positive");
        Require(t.Threads >= 0, "threads", t.Threads, "must be zero (one per processor) or positive");
        Require(t.LogInterval > 0, "log_interval", t.LogInterval, "must be positive");
        Require(TrainingOptions.KnownCompressions.Contains(t.GradientCompression), "gradient_compression", t.GradientCompression, $"use one of {string.Join(", ", TrainingOptions.KnownCompressions)}");
        Require(t.PowerSgdRank > 0, "powersgd_rank", t.PowerSgdRank, "must be positive (columns of the low-rank factors; 1 to 8 is usual, 4 the default)");
        Require(t.PowerSgdStartStep is null or >= 0, "powersgd_start_step", t.PowerSgdStartStep, "must be zero or positive, or left out to mean 10 % of max_steps");
        Require(t.MaxConsecutiveSkips > 0, "max_consecutive_skips", t.MaxConsecutiveSkips, "must be positive (consecutive non-finite steps before rolling back to the last checkpoint)");
        Require(t.MaxRollbacks >= 0, "max_rollbacks", t.MaxRollbacks, "must be zero (fail at the first divergence) or positive");
        Require(t.ReplicaCheckInterval >= 0, "replica_check_interval", t.ReplicaCheckInterval, "must be zero (never) or positive");
        Require(TorchDevices.IsWellFormed(t.Device), "device", t.Device, "use cpu, cuda or cuda:N");
    }

    private static void Require(bool ok, string option, object? value, string fix)
    {
        if (!ok) throw new InvalidRunConfigException($"training option {option} = {value?.ToString() ?? "null"} is invalid: {fix}", option);
    }
}

/// <summary>
/// A training configuration that cannot run; the message names the option and the fix, and <see cref="Option"/> holds
/// the option's config.json name (when one option is at fault) so a front end can name its own flag for it too.
/// </summary>
public sealed class InvalidRunConfigException(string message, string? option = null) : Exception(message)
{
    public string? Option { get; } = option;
}
