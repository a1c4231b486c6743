using Microsoft.Extensions.Options;
using Orchestrator.Cluster.Grains.Abstractions;

namespace Orchestrator.Cluster.Grains;

/// <summary>A job's checkpoints with retention; see <see cref="ICheckpointCatalogGrain"/>.</summary>
internal sealed class CheckpointCatalogGrain(
    [PersistentState("checkpoints", ClusterStorage.Name)] IPersistentState<CheckpointCatalogState> state,
    IOptions<JobPolicyOptions> policy) : Grain, ICheckpointCatalogGrain
{
    public async Task<IReadOnlyList<CheckpointRecord>> AddAsync(CheckpointRecord checkpoint)
    {
        var jobId = this.GetPrimaryKeyString();
        checkpoint.Validate(jobId);

        var replaced = state.State.Checkpoints.Where(c => c.Step == checkpoint.Step).ToList();
        var candidates = state.State.Checkpoints.Where(c => c.Step != checkpoint.Step).Append(checkpoint);
        var (kept, pruned) = CheckpointRetention.Apply(candidates, policy.Value.CheckpointsToKeep);

        state.State.Checkpoints = kept.ToList();
        await state.WriteStateAsync();

        // A re-saved step whose files moved elsewhere leaves the old files to delete as well.
        return replaced.Where(r => r.Path != checkpoint.Path)
            .Concat(pruned)
            .OrderBy(c => c.Step)
            .ToArray();
    }

    public Task<IReadOnlyList<CheckpointRecord>> ListAsync() =>
        Task.FromResult<IReadOnlyList<CheckpointRecord>>(state.State.Checkpoints.ToArray());

    public Task<CheckpointRecord?> GetLatestAsync() =>
        Task.FromResult(state.State.Checkpoints.MaxBy(c => c.Step));

    public Task<CheckpointRecord?> GetBestAsync() =>
        Task.FromResult(CheckpointRetention.Best(state.State.Checkpoints));
}
