using System.Text.Json.Serialization;
using Orchestrator.Training.Evaluation;

namespace Orchestrator.Training.Progress;

/// <summary>
/// A snapshot of a running job, reported every <c>log_interval</c> steps and after each evaluation; the worker
/// forwards it to the coordinator, the CLI prints it. <see cref="Loss"/> is averaged over all workers. Checkpoints are
/// reported on a channel of their own (<see cref="CheckpointWritten"/>), when the background writer has published them.
/// </summary>
public sealed record TrainingProgress
{
    [JsonPropertyName("step")] public long Step { get; init; }
    [JsonPropertyName("max_steps")] public long MaxSteps { get; init; }
    [JsonPropertyName("loss")] public double Loss { get; init; }
    [JsonPropertyName("lr")] public double LearningRate { get; init; }
    [JsonPropertyName("grad_norm")] public double GradNorm { get; init; }
    [JsonPropertyName("tokens_per_sec")] public double TokensPerSecond { get; init; }
    [JsonPropertyName("tokens_seen")] public long TokensSeen { get; init; }
    [JsonPropertyName("elapsed_s")] public double ElapsedSeconds { get; init; }
    [JsonPropertyName("eta_s")] public double EtaSeconds { get; init; }
    [JsonPropertyName("skipped_steps")] public long SkippedSteps { get; init; }

    /// <summary>Rollbacks to a checkpoint so far in this process (see <see cref="TrainingOptions.MaxConsecutiveSkips"/>).</summary>
    [JsonPropertyName("rollbacks")] public long Rollbacks { get; init; }

    /// <summary>Restarts the distributed job had used (see <see cref="Trainer.JobRestarts"/>); 0 for a single process.</summary>
    [JsonPropertyName("restarts")] public int Restarts { get; init; }

    /// <summary>This rank's mean wall time per training step over the interval (evaluations and checkpoints excluded).</summary>
    [JsonPropertyName("step_s")] public double StepSeconds { get; init; }

    /// <summary>Mean seconds per step in each phase over the interval (see <see cref="StepPhases"/>).</summary>
    [JsonPropertyName("phases")] public StepPhases Phases { get; init; }

    /// <summary>Mean bytes this rank sent per step in gradient exchanges over the interval (0 with one worker).</summary>
    [JsonPropertyName("wire_bytes_per_step")] public double WireBytesPerStep { get; init; }

    /// <summary>Whole float32 gradient bytes over bytes sent (1 without compression, 2 with bf16); null with one worker.</summary>
    [JsonPropertyName("compression_ratio")] public double? CompressionRatio { get; init; }

    /// <summary>The gradient compression in force: none, bf16 or powersgd-rN (what auto chose, once it has).</summary>
    [JsonPropertyName("gradient_compression")] public string? GradientCompression { get; init; }

    /// <summary>
    /// Every rank's step time, all-reduce wait and send wait over the interval, indexed by rank: set on the step reports
    /// of a job with more than one worker (gathered from all ranks), null otherwise.
    /// </summary>
    [JsonPropertyName("ranks")] public IReadOnlyList<RankTiming>? Ranks { get; init; }

    /// <summary>Set on the report that follows an evaluation of the validation split.</summary>
    [JsonPropertyName("eval")] public EvaluationResult? Evaluation { get; init; }
}
