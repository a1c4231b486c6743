namespace Orchestrator.Cluster.Grains.Abstractions;

/// <summary>
/// The one place that knows which workers exist and which are free, so two jobs can never claim the same
/// worker. Singleton: always addressed with <see cref="Key"/>. Called by worker and job grains; it calls no one.
/// </summary>
[Alias("Orchestrator.IWorkerRegistryGrain")]
public interface IWorkerRegistryGrain : IGrainWithStringKey
{
    public const string Key = "workers";

    /// <summary>Adds or refreshes a worker; a worker held by a job stays held (the job notices the new incarnation).</summary>
    [Alias("Register")]
    Task RegisterAsync(string workerId, WorkerInfo info, int incarnation);

    /// <summary>Forgets the worker (graceful shutdown); a job holding it notices through its own liveness check.</summary>
    [Alias("Unregister")]
    Task UnregisterAsync(string workerId);

    /// <summary>Records that the worker was heard from now.</summary>
    [Alias("Touch")]
    Task TouchAsync(string workerId);

    /// <summary>
    /// Claims between <paramref name="minimum"/> and <paramref name="maximum"/> free, live workers for the job,
    /// ordered by worker id, or none at all when fewer than <paramref name="minimum"/> are available. With
    /// <paramref name="heardSince"/>, only workers that heartbeated after that instant count: a recovering job passes
    /// the time of the failure, so a member that died a moment ago (still within the liveness timeout) is not re-claimed.
    /// Workers in <paramref name="excluded"/> (those that cannot run this job) are never claimed.
    /// </summary>
    [Alias("Claim")]
    Task<IReadOnlyList<RegisteredWorker>> ClaimAsync(string jobId, int minimum, int maximum, DateTimeOffset? heardSince = null,
        IReadOnlyCollection<string>? excluded = null);

    /// <summary>How many registered workers are free and live (and heard from since <paramref name="heardSince"/>, and not <paramref name="excluded"/>): what a claim could get now.</summary>
    [Alias("CountAvailable")]
    Task<int> CountAvailableAsync(DateTimeOffset? heardSince = null, IReadOnlyCollection<string>? excluded = null);

    /// <summary>Frees the worker if <paramref name="jobId"/> still holds it.</summary>
    [Alias("Release")]
    Task ReleaseAsync(string workerId, string jobId);

    /// <summary>Every worker ever registered, ordered by worker id.</summary>
    [Alias("List")]
    Task<IReadOnlyList<RegisteredWorker>> ListAsync();
}
