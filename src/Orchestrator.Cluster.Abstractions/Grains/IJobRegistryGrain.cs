namespace Orchestrator.Cluster.Grains.Abstractions;

/// <summary>Index of submitted job ids, so jobs can be listed (grains cannot be enumerated). Singleton: <see cref="Key"/>.</summary>
[Alias("Orchestrator.IJobRegistryGrain")]
public interface IJobRegistryGrain : IGrainWithStringKey
{
    public const string Key = "jobs";

    [Alias("Add")]
    Task AddAsync(string jobId);

    /// <summary>Job ids in submission order.</summary>
    [Alias("List")]
    Task<IReadOnlyList<string>> ListAsync();
}
