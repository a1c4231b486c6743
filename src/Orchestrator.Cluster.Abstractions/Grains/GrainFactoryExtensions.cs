namespace Orchestrator.Cluster.Grains.Abstractions;

/// <summary>Typed, key-correct access to the cluster's grains from a silo or a client.</summary>
public static class GrainFactoryExtensions
{
    public static ITrainingJobGrain GetJob(this IGrainFactory grains, string jobId) => grains.GetGrain<ITrainingJobGrain>(jobId);

    public static IWorkerGrain GetWorker(this IGrainFactory grains, string workerId) => grains.GetGrain<IWorkerGrain>(workerId);

    public static ICheckpointCatalogGrain GetCheckpointCatalog(this IGrainFactory grains, string jobId) =>
        grains.GetGrain<ICheckpointCatalogGrain>(jobId);

    public static IWorkerRegistryGrain GetWorkerRegistry(this IGrainFactory grains) =>
        grains.GetGrain<IWorkerRegistryGrain>(IWorkerRegistryGrain.Key);

    public static IJobRegistryGrain GetJobRegistry(this IGrainFactory grains) => grains.GetGrain<IJobRegistryGrain>(IJobRegistryGrain.Key);
}
