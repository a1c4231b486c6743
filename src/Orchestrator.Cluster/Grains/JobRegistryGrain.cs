using Orchestrator.Cluster.Grains.Abstractions;

namespace Orchestrator.Cluster.Grains;

/// <summary>Index of job ids; see <see cref="IJobRegistryGrain"/>.</summary>
internal sealed class JobRegistryGrain(
    [PersistentState("jobs", ClusterStorage.Name)] IPersistentState<JobRegistryState> state) : Grain, IJobRegistryGrain
{
    public async Task AddAsync(string jobId)
    {
        if (!state.State.JobIds.Contains(jobId, StringComparer.Ordinal))
        {
            state.State.JobIds.Add(jobId);
            await state.WriteStateAsync();
        }
    }

    public Task<IReadOnlyList<string>> ListAsync() =>
        Task.FromResult<IReadOnlyList<string>>(state.State.JobIds.ToArray());
}
