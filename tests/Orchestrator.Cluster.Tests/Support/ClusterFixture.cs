using Microsoft.Extensions.DependencyInjection;
using Orchestrator.Cluster.Grains;
using Orchestrator.Cluster.Hosting;
using Orchestrator.Cluster.Hosting.Storage;
using Orleans.TestingHost;

namespace Orchestrator.Cluster.Tests.Support;

/// <summary>
/// One in-process Orleans test cluster (a real silo with memory storage) shared by the grain tests, with short
/// timeouts so liveness and ready-timeout paths run in seconds.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public static readonly TimeSpan LivenessTimeout = TimeSpan.FromSeconds(3);
    public static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(3);
    public static readonly TimeSpan ReplacementTimeout = TimeSpan.FromSeconds(3);

    /// <summary>How long a recovering job waits for the lost formation's survivors to check in (test workers heartbeat every few ms).</summary>
    public static readonly TimeSpan RecoveryGrace = TimeSpan.FromSeconds(1);
    public const int CheckpointsToKeep = 2;

    public TestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.GrainFactory;

    public async Task InitializeAsync()
    {
        var builder = new TestClusterBuilder(1);
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder silo)
        {
            silo.AddOrchestratorGrains();
            silo.AddOrchestratorStorage(new RedisOptions(), new CoordinatorOptions { StateStore = GrainStateStore.Memory });
            silo.Services.Configure<JobPolicyOptions>(policy =>
            {
                policy.MonitorInterval = TimeSpan.FromMilliseconds(100);
                policy.WorkerLivenessTimeout = LivenessTimeout;
                policy.ReadyTimeout = ReadyTimeout;
                policy.ReplacementTimeout = ReplacementTimeout;
                policy.RecoveryGrace = RecoveryGrace;
                policy.CheckpointsToKeep = CheckpointsToKeep;
            });
        }
    }
}

/// <summary>Grain tests share one silo and its worker registry, so they run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
