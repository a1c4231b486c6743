using System.Text.Json.Serialization;

namespace Orchestrator.Training.Progress;

/// <summary>
/// Announces a complete checkpoint (rank 0 only): where it is, how long it took and how big it is, so the worker can
/// record it in the coordinator's catalog and in the checkpoint metrics. <see cref="Seconds"/> runs from the snapshot
/// to the published <c>latest</c> pointer; only <see cref="StallSeconds"/> of it held up training, the rest was written
/// in the background while training went on.
/// </summary>
public sealed record CheckpointWritten(
    [property: JsonPropertyName("directory")] string Directory,
    [property: JsonPropertyName("step")] long Step,
    [property: JsonPropertyName("seconds")] double Seconds,
    [property: JsonPropertyName("bytes")] long Bytes,
    [property: JsonPropertyName("val_loss")] double? ValLoss,
    [property: JsonPropertyName("is_best")] bool IsBest)
{
    /// <summary>Seconds the training thread waited: for the previous write to finish, if it had not, plus copying weights and moments off the training path.</summary>
    [JsonPropertyName("stall_seconds")] public double StallSeconds { get; init; }
}
