using System.Text.Json.Serialization;

namespace Orchestrator.Training.Checkpoints;

/// <summary>
/// <c>trainer_state.json</c>: what besides weights and optimizer moments a run needs to continue exactly where it
/// stopped. The data position is the step count because batches are a pure function of (seed, step).
/// </summary>
public sealed record TrainerState
{
    /// <summary>Optimizer steps completed (skipped non-finite steps included).</summary>
    [JsonPropertyName("step")] public long Step { get; init; }

    /// <summary>Index of the next global batch to draw; equal to <see cref="Step"/>.</summary>
    [JsonPropertyName("data_position")] public long DataPosition { get; init; }

    [JsonPropertyName("tokens_seen")] public long TokensSeen { get; init; }
    [JsonPropertyName("best_val_loss")] public double? BestValLoss { get; init; }
    [JsonPropertyName("skipped_steps")] public long SkippedSteps { get; init; }
    [JsonPropertyName("last_train_loss")] public double? LastTrainLoss { get; init; }

    /// <summary>libtorch's CPU generator state (base64), restored on resume.</summary>
    [JsonPropertyName("torch_rng_state")] public string TorchRngState { get; init; } = "";

    [JsonPropertyName("seed")] public long Seed { get; init; }
    [JsonPropertyName("world_size")] public int WorldSize { get; init; }
    [JsonPropertyName("global_batch_size")] public long GlobalBatchSize { get; init; }
    [JsonPropertyName("elapsed_seconds")] public double ElapsedSeconds { get; init; }
}
