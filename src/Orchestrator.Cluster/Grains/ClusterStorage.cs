namespace Orchestrator.Cluster.Grains;

/// <summary>
/// The one grain storage provider every grain's persistent state lives in: files under the coordinator's state directory by default, Redis when
/// <c>Orchestrator:Redis:ConnectionString</c> is set (see <c>SiloBuilderExtensions.AddOrchestratorStorage</c>).
/// </summary>
public static class ClusterStorage
{
    public const string Name = "orchestrator";
}
