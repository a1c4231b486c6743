namespace Orchestrator.Cluster.Grains.Abstractions;

/// <summary>What the coordinator wants a worker process to do next; see <see cref="WorkerDirective"/>.</summary>
[GenerateSerializer, Alias("Orchestrator.WorkerDirectiveKind")]
public enum WorkerDirectiveKind
{
    /// <summary>No job: keep heartbeating and polling.</summary>
    Idle = 0,

    /// <summary>An assignment arrived: load data and model, start the collective server, then call <see cref="ITrainingJobGrain.ConfirmReadyAsync"/>.</summary>
    Prepare = 1,

    /// <summary>Every member confirmed: start training (the ring is complete).</summary>
    Run = 2,

    /// <summary>Stop work on <see cref="WorkerDirective.JobId"/> (completed, cancelled, failed or recovering); the worker is free again.</summary>
    Stop = 3,
}
