namespace Orchestrator.Telemetry;

/// <summary>
/// The meters every Orchestrator process exports. One list, so the coordinator, the workers and the generation
/// server publish the same families and a dashboard query works against any of them.
/// </summary>
public static class OrchestratorMeters
{
    /// <summary>Per-step training series of a worker (<see cref="TrainingMetrics"/>).</summary>
    public const string Training = "Orchestrator.Training";

    /// <summary>Job and worker state seen by the coordinator (<see cref="ClusterMetrics"/>).</summary>
    public const string Cluster = "Orchestrator.Cluster";

    /// <summary>Managed and native memory of the process (<see cref="ProcessMemoryMetrics"/>).</summary>
    public const string Process = "Orchestrator.Process";

    /// <summary>The collective layer's own meter (Orchestrator.Collective's <c>CollectiveMetrics.MeterName</c>).</summary>
    public const string Collective = "Orchestrator.Collective";

    /// <summary>The generation server's meter (Orchestrator.Serving).</summary>
    public const string Serving = "Orchestrator.Serving";

    public static IReadOnlyList<string> All { get; } = [Training, Cluster, Process, Collective, Serving];
}
