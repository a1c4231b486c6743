using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orchestrator.Cluster.Grains;
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
    /// The <see cref="ClusterStorage.Name"/> provider: Redis when configured (state encoded with the Orleans
    /// serializer, so the <c>[Alias]</c>/<c>[Id]</c> attributes keep stored state readable across renames), memory otherwise.
    /// </summary>
    public static ISiloBuilder AddOrchestratorStorage(this ISiloBuilder silo, RedisOptions redis)
    {
        if (!redis.IsEnabled)
        {
            return silo.AddMemoryGrainStorage(ClusterStorage.Name);
        }

        return silo.AddRedisGrainStorage(ClusterStorage.Name, options => options.Configure<Serializer>((storage, serializer) =>
        {
            storage.ConfigurationOptions = ConfigurationOptions.Parse(redis.ConnectionString!);
            storage.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer);
        }));
    }
}
