namespace Orchestrator.Cluster.Hosting.Storage;

/// <summary>Where a coordinator without Redis keeps grain state (<c>Orchestrator:Coordinator:StateStore</c>).</summary>
public enum GrainStateStore
{
    /// <summary>One file per grain under the state directory: survives coordinator restarts.</summary>
    File = 0,

    /// <summary>Process memory: lost when the coordinator stops. For tests and throw-away clusters.</summary>
    Memory = 1,
}
