using System.Text.Json.Serialization;
using Orchestrator.Training.Evaluation;

namespace Orchestrator.Training;

/// <summary>How a training run ended: for the CLI summary, the worker's final report and benchmarks.</summary>
public sealed record TrainingResult
{
    /// <summary>Optimizer steps completed in total (including those before a resume).</summary>
    [JsonPropertyName("steps")] public long Steps { get; init; }
    [JsonPropertyName("tokens_seen")] public long TokensSeen { get; init; }
    [JsonPropertyName("skipped_steps")] public long SkippedSteps { get; init; }

    /// <summary>Times this call rolled the run back to a checkpoint after consecutive non-finite steps.</summary>
    [JsonPropertyName("rollbacks")] public long Rollbacks { get; init; }

    /// <summary>Mean training loss (all workers) of the last step that was not skipped.</summary>
    [JsonPropertyName("final_train_loss")] public double? FinalTrainLoss { get; init; }
    [JsonPropertyName("best_val_loss")] public double? BestValLoss { get; init; }
    [JsonPropertyName("final_eval")] public EvaluationResult? FinalEvaluation { get; init; }

    /// <summary>Training throughput of this call over all workers: tokens per second of step time (evaluation and checkpoints excluded).</summary>
    [JsonPropertyName("train_tokens_per_s")] public double TrainTokensPerSecond { get; init; }
    [JsonPropertyName("elapsed_s")] public double ElapsedSeconds { get; init; }

    /// <summary>Scalars in the model (tied weights once) and those the optimizer trains (all, or a LoRA run's adapters).</summary>
    [JsonPropertyName("parameters")] public long Parameters { get; init; }
    [JsonPropertyName("trainable_parameters")] public long TrainableParameters { get; init; }

    /// <summary>The last checkpoint written by this process (rank 0), or null.</summary>
    [JsonPropertyName("checkpoint")] public string? CheckpointDirectory { get; init; }
}
