using Microsoft.Extensions.Options;
using Orchestrator.Cluster.Grains.Abstractions;

namespace Orchestrator.Cluster.Grains;

/// <summary>Free/busy bookkeeping for every worker; see <see cref="IWorkerRegistryGrain"/>.</summary>
internal sealed class WorkerRegistryGrain(
    [PersistentState("registry", ClusterStorage.Name)] IPersistentState<WorkerRegistryState> state,
    IOptions<JobPolicyOptions> policy,
    TimeProvider clock) : Grain, IWorkerRegistryGrain
{
    private Dictionary<string, RegisteredWorker> Workers => state.State.Workers;

    public async Task RegisterAsync(string workerId, WorkerInfo info, int incarnation)
    {
        Workers.TryGetValue(workerId, out var existing);
        Workers[workerId] = new RegisteredWorker
        {
            WorkerId = workerId,
            Info = info,
            Incarnation = incarnation,
            JobId = existing?.JobId,
            LastSeenUtc = clock.GetUtcNow(),
        };
        await state.WriteStateAsync();
    }

    public async Task UnregisterAsync(string workerId)
    {
        if (Workers.Remove(workerId))
        {
            await state.WriteStateAsync();
        }
    }

    /// <summary>In memory only (see <see cref="WorkerGrain.HeartbeatAsync"/>); the next write of the registry stores it.</summary>
    public Task TouchAsync(string workerId)
    {
        if (Workers.TryGetValue(workerId, out var worker))
        {
            Workers[workerId] = worker with { LastSeenUtc = clock.GetUtcNow() };
        }

        return Task.CompletedTask;
    }

    public async Task<IReadOnlyList<RegisteredWorker>> ClaimAsync(string jobId, int minimum, int maximum, DateTimeOffset? heardSince = null,
        IReadOnlyCollection<string>? excluded = null)
    {
        var candidates = Available(heardSince, excluded).Take(maximum).ToList();
        if (candidates.Count < minimum)
        {
            return [];
        }

        var claimed = candidates.Select(w => w with { JobId = jobId }).ToArray();
        foreach (var worker in claimed)
        {
            Workers[worker.WorkerId] = worker;
        }

        await state.WriteStateAsync();
        return claimed;
    }

    public Task<int> CountAvailableAsync(DateTimeOffset? heardSince = null, IReadOnlyCollection<string>? excluded = null) =>
        Task.FromResult(Available(heardSince, excluded).Count());

    public async Task ReleaseAsync(string workerId, string jobId)
    {
        if (Workers.TryGetValue(workerId, out var worker) && worker.JobId == jobId)
        {
            Workers[workerId] = worker with { JobId = null };
            await state.WriteStateAsync();
        }
    }

    private IEnumerable<RegisteredWorker> Available(DateTimeOffset? heardSince = null, IReadOnlyCollection<string>? excluded = null)
    {
        var aliveSince = clock.GetUtcNow() - policy.Value.WorkerLivenessTimeout;
        if (heardSince is { } since && since > aliveSince) aliveSince = since;
        return Workers.Values
            .Where(w => w.IsFree && w.LastSeenUtc >= aliveSince && excluded?.Contains(w.WorkerId) != true)
            .OrderBy(w => w.WorkerId, StringComparer.Ordinal);
    }

    public Task<IReadOnlyList<RegisteredWorker>> ListAsync() =>
        Task.FromResult<IReadOnlyList<RegisteredWorker>>(
            Workers.Values.OrderBy(w => w.WorkerId, StringComparer.Ordinal).ToArray());
}
