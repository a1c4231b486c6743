using System.Text.Json.Serialization;

namespace Orchestrator.Training.Progress;

/// <summary>
/// Announces a complete checkpoint (rank 0 only): where it is, how long writing it stalled training and how big it is,
/// so the worker can record it in the coordinator's catalog and in the checkpoint metrics.
/// </summary>
public sealed record CheckpointWritten(
    [property: JsonPropertyName("directory")] string Directory,
    [property: JsonPropertyName("step")] long Step,
    [property: JsonPropertyName("seconds")] double Seconds,
    [property: JsonPropertyName("bytes")] long Bytes,
    [property: JsonPropertyName("val_loss")] double? ValLoss,
    [property: JsonPropertyName("is_best")] bool IsBest);
