namespace Orchestrator.Cluster.Grains.Abstractions;

/// <summary>
/// One worker process, keyed by a worker id the process chooses and keeps across restarts (e.g. "host-gpu0").
/// The process calls <see cref="RegisterAsync"/> once, then <see cref="HeartbeatAsync"/> about every second,
/// idle or busy, and acts on the returned <see cref="WorkerDirective"/>. The Assign/Start/Release methods are
/// called by the job grain, not by workers.
/// </summary>
[Alias("Orchestrator.IWorkerGrain")]
public interface IWorkerGrain : IGrainWithStringKey
{
    /// <summary>Announces (or re-announces after a restart) the process; it becomes claimable unless a job holds it.</summary>
    [Alias("Register")]
    Task RegisterAsync(WorkerInfo info);

    /// <summary>
    /// Graceful shutdown: the worker is no longer claimable. If a job holds it, that job treats it as lost on its
    /// next liveness check (so report a failure first when leaving mid-job, with the reason).
    /// </summary>
    [Alias("Unregister")]
    Task UnregisterAsync();

    /// <summary>Records liveness and the current step; returns what to do next.</summary>
    [Alias("Heartbeat")]
    Task<WorkerDirective> HeartbeatAsync(long step);

    /// <summary>What to do next, without counting as a heartbeat.</summary>
    [Alias("GetAssignment")]
    Task<WorkerDirective> GetAssignmentAsync();

    [Alias("GetStatus")]
    Task<WorkerStatus> GetStatusAsync();

    /// <summary>Job side: gives the worker its assignment (directive Prepare).</summary>
    [Alias("Assign")]
    Task AssignAsync(WorkerAssignment assignment);

    /// <summary>Job side: every member confirmed; directive becomes Run.</summary>
    [Alias("Start")]
    Task StartAsync(string jobId, int attempt);

    /// <summary>Job side: the worker leaves the job (directive Stop with the reason) and is free again; <paramref name="error"/> is kept as its last error.</summary>
    [Alias("Release")]
    Task ReleaseAsync(string jobId, string reason, string? error);
}
