using System.Text.Json.Serialization;

namespace Orchestrator.Training;

/// <summary>
/// Everything about how a model is trained, as opposed to what the model is (<see cref="Models.ModelConfig"/>).
/// Names are snake_case as in nanoGPT so a run's <c>config.json</c> reads the same from Python. The data a step sees
/// depends only on <see cref="Seed"/> and the step number, never on how many workers share the work.
/// </summary>
public sealed record TrainingOptions
{
    /// <summary>Peak learning rate, reached at the end of warm-up.</summary>
    [JsonPropertyName("learning_rate")] public double LearningRate { get; init; } = 1e-3;

    /// <summary>Floor of the decay; the rate stays there after <see cref="LrDecaySteps"/>.</summary>
    [JsonPropertyName("min_lr")] public double MinLr { get; init; } = 1e-4;

    [JsonPropertyName("warmup_steps")] public int WarmupSteps { get; init; } = 100;

    /// <summary><c>cosine</c>, <c>linear</c> or <c>constant</c> (after warm-up).</summary>
    [JsonPropertyName("lr_schedule")] public string LrSchedule { get; init; } = "cosine";

    /// <summary>Step at which the decay reaches <see cref="MinLr"/>; null means <see cref="MaxSteps"/>. Set it explicitly to extend a run without changing its schedule.</summary>
    [JsonPropertyName("lr_decay_steps")] public int? LrDecaySteps { get; init; }

    [JsonPropertyName("max_steps")] public int MaxSteps { get; init; } = 2000;

    /// <summary>Most sequences one worker feeds through the model at once (one micro-batch).</summary>
    [JsonPropertyName("batch_size")] public int BatchSize { get; init; } = 12;

    /// <summary>Micro-batches per worker per step when <see cref="GlobalBatchSize"/> is not set; otherwise derived from it.</summary>
    [JsonPropertyName("grad_accum_steps")] public int GradAccumSteps { get; init; } = 1;

    /// <summary>
    /// Sequences per optimizer step over all workers. Fixing it keeps the optimisation (and the loss curve) the same
    /// when workers join or leave: each worker takes its share and accumulation steps adapt. Null means
    /// world_size × batch_size × grad_accum_steps.
    /// </summary>
    [JsonPropertyName("global_batch_size")] public int? GlobalBatchSize { get; init; }

    /// <summary>Decoupled (AdamW) weight decay, applied only to parameters with two or more dimensions.</summary>
    [JsonPropertyName("weight_decay")] public double WeightDecay { get; init; } = 0.1;

    [JsonPropertyName("beta1")] public double Beta1 { get; init; } = 0.9;
    [JsonPropertyName("beta2")] public double Beta2 { get; init; } = 0.95;
    [JsonPropertyName("eps")] public double Eps { get; init; } = 1e-8;

    /// <summary>Maximum global gradient norm; 0 disables clipping.</summary>
    [JsonPropertyName("grad_clip")] public double GradClip { get; init; } = 1.0;

    /// <summary>Evaluate on the validation split every this many steps (and at the end); 0 disables periodic evaluation.</summary>
    [JsonPropertyName("eval_interval")] public int EvalInterval { get; init; } = 250;

    /// <summary>
    /// Validation windows per evaluation, in global batches (world_size × batch_size × grad_accum_steps windows each, so
    /// the measurement does not change with how the work is split), spread evenly over the split.
    /// </summary>
    [JsonPropertyName("eval_batches")] public int EvalBatches { get; init; } = 20;

    /// <summary>Write a checkpoint every this many steps (and at the end); 0 writes only the final and best ones.</summary>
    [JsonPropertyName("checkpoint_interval")] public int CheckpointInterval { get; init; } = 500;

    /// <summary>How many of the most recent checkpoints to keep besides the best one; 0 keeps all.</summary>
    [JsonPropertyName("keep_last_checkpoints")] public int KeepLastCheckpoints { get; init; } = 3;

    [JsonPropertyName("seed")] public long Seed { get; init; } = 1337;

    /// <summary>Intra-op threads for libtorch; 0 means one per processor.</summary>
    [JsonPropertyName("threads")] public int Threads { get; init; }

    /// <summary><c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    [JsonPropertyName("device")] public string Device { get; init; } = "cpu";

    /// <summary>Log and append to metrics.jsonl every this many steps.</summary>
    [JsonPropertyName("log_interval")] public int LogInterval { get; init; } = 10;

    /// <summary>With several workers, send each model segment's gradients as soon as its backward pass is done.</summary>
    [JsonPropertyName("overlap_communication")] public bool OverlapCommunication { get; init; } = true;

    /// <summary>
    /// How gradients travel between workers: <c>none</c> (float32), <c>bf16</c> (half the bytes, rounded to nearest
    /// even), <c>powersgd</c> (low-rank factors with error feedback, see <see cref="Compression.PowerSgdCompressor"/>) or
    /// <c>auto</c> (measured on this job's links after it forms, see <see cref="Compression.CompressionChooser"/>).
    /// </summary>
    [JsonPropertyName("gradient_compression")] public string GradientCompression { get; init; } = "none";

    public static readonly IReadOnlyList<string> KnownCompressions = ["none", "bf16", "powersgd", "auto"];

    /// <summary>Rank of PowerSGD's factors (columns of P and Q); bytes per matrix m×n are r(m+n) floats instead of mn.</summary>
    [JsonPropertyName("powersgd_rank")] public int PowerSgdRank { get; init; } = 4;

    /// <summary>
    /// First step that sends PowerSGD factors; before it gradients are all-reduced whole, as PowerSGD's authors advise
    /// for the first, fast-changing steps. Null means 10 % of <see cref="MaxSteps"/>.
    /// </summary>
    [JsonPropertyName("powersgd_start_step")] public int? PowerSgdStartStep { get; init; }

    [JsonIgnore] public int EffectivePowerSgdStartStep => PowerSgdStartStep ?? MaxSteps / 10;

    /// <summary>
    /// After this many consecutive steps with a non-finite loss or gradient norm (each skipped on every worker), every
    /// worker reloads the latest checkpoint and continues past the batches that failed.
    /// </summary>
    [JsonPropertyName("max_consecutive_skips")] public int MaxConsecutiveSkips { get; init; } = 3;

    /// <summary>Rollbacks a run may make (see <see cref="MaxConsecutiveSkips"/>); one more stops it with <c>TrainingDivergedException</c>.</summary>
    [JsonPropertyName("max_rollbacks")] public int MaxRollbacks { get; init; } = 3;

    /// <summary>With several workers, compare a parameter checksum across replicas every this many steps (0 = never); a mismatch stops the job.</summary>
    [JsonPropertyName("replica_check_interval")] public int ReplicaCheckInterval { get; init; } = 100;

    [JsonIgnore] public int EffectiveLrDecaySteps => LrDecaySteps ?? MaxSteps;

    /// <summary>Sequences per optimizer step when <paramref name="worldSize"/> workers train: <see cref="GlobalBatchSize"/> or world_size × batch_size × grad_accum_steps.</summary>
    public long EffectiveGlobalBatchSize(int worldSize) => GlobalBatchSize ?? (long)worldSize * BatchSize * GradAccumSteps;

    public static readonly IReadOnlyList<string> KnownSchedules = ["cosine", "linear", "constant"];
}
