namespace Orchestrator.Cluster.Grains.Abstractions;

/// <summary>
/// The checkpoints of one job (keyed by job id), with retention: the newest K (see
/// <c>Orchestrator:Jobs:CheckpointsToKeep</c>) plus the one with the lowest validation loss. The catalog never
/// touches files; it returns what fell out of retention so the worker that owns the files deletes them.
/// </summary>
[Alias("Orchestrator.ICheckpointCatalogGrain")]
public interface ICheckpointCatalogGrain : IGrainWithStringKey
{
    /// <summary>Adds (or replaces, same step) a finished checkpoint; returns the records to delete, oldest first.</summary>
    [Alias("Add")]
    Task<IReadOnlyList<CheckpointRecord>> AddAsync(CheckpointRecord checkpoint);

    /// <summary>Retained checkpoints by ascending step.</summary>
    [Alias("List")]
    Task<IReadOnlyList<CheckpointRecord>> ListAsync();

    /// <summary>The retained checkpoint with the highest step (every record is complete), or null.</summary>
    [Alias("GetLatest")]
    Task<CheckpointRecord?> GetLatestAsync();

    /// <summary>The retained checkpoint with the lowest validation loss, or null when none has one.</summary>
    [Alias("GetBest")]
    Task<CheckpointRecord?> GetBestAsync();
}
