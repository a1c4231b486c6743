using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orchestrator.Cluster.Grains;
using Orchestrator.Cluster.Hosting.Storage;
using Orleans.Runtime.Hosting;
using Orleans.Serialization;
using Orleans.Storage;
using StackExchange.Redis;

namespace Orchestrator.Cluster.Hosting;

/// <summary>What every silo hosting the orchestrator's grains needs, shared by the coordinator host and the tests.</summary>
public static class SiloBuilderExtensions
{
    /// <summary>
    /// Job policy options (bound from <c>Orchestrator:Jobs</c>, validated at start), the clock the grains use, and
    /// the start-up pass that resumes live jobs.
    /// </summary>
    public static ISiloBuilder AddOrchestratorGrains(this ISiloBuilder silo)
    {
        silo.AddStartupTask<JobReactivation>();
        silo.Services.TryAddSingleton(TimeProvider.System);
        silo.Services.AddSingleton<IValidateOptions<JobPolicyOptions>, JobPolicyOptionsValidator>();
        silo.Services.AddOptions<JobPolicyOptions>().BindConfiguration(JobPolicyOptions.SectionName).ValidateOnStart();
        return silo;
    }

    /// <summary>
    /// The <see cref="ClusterStorage.Name"/> provider: Redis when configured, otherwise the coordinator's
    /// <see cref="CoordinatorOptions.StateStore"/> (files under <see cref="CoordinatorOptions.EffectiveStateDirectory"/>
    /// by default, memory when asked). Redis and files encode state with the Orleans serializer, so the
    /// <c>[Alias]</c>/<c>[Id]</c> attributes keep stored state readable across renames.
    /// </summary>
    public static ISiloBuilder AddOrchestratorStorage(this ISiloBuilder silo, RedisOptions redis, CoordinatorOptions coordinator)
    {
        if (redis.IsEnabled)
        {
            return silo.AddRedisGrainStorage(ClusterStorage.Name, options => options.Configure<Serializer>((storage, serializer) =>
            {
                storage.ConfigurationOptions = ConfigurationOptions.Parse(redis.ConnectionString!);
                storage.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer);
            }));
        }

        return coordinator.StateStore == GrainStateStore.Memory
            ? silo.AddMemoryGrainStorage(ClusterStorage.Name)
            : silo.AddFileGrainStorage(coordinator.EffectiveStateDirectory);
    }

    /// <summary>The <see cref="ClusterStorage.Name"/> provider as one file per grain under <paramref name="directory"/> (see <see cref="FileGrainStorage"/>).</summary>
    public static ISiloBuilder AddFileGrainStorage(this ISiloBuilder silo, string directory)
    {
        silo.Services.AddGrainStorage(ClusterStorage.Name, (services, _) =>
            new FileGrainStorage(directory, new OrleansGrainStorageSerializer(services.GetRequiredService<Serializer>())));
        return silo;
    }
}
