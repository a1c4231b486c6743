namespace Orchestrator.Cluster.Grains.Abstractions;

/// <summary>
/// Where a training job is in its life. Moves are governed by <see cref="JobStateMachine"/>; the three last
/// states are terminal, so a job id is never reused.
/// </summary>
[GenerateSerializer, Alias("Orchestrator.JobState")]
public enum JobState
{
    /// <summary>Submitted; waiting until at least the job's minimum number of live workers are free.</summary>
    Pending = 0,

    /// <summary>Workers claimed and given their assignments; waiting for every one to confirm it is ready.</summary>
    Forming = 1,

    /// <summary>Every member confirmed; the ring is training.</summary>
    Running = 2,

    /// <summary>A member failed and restarts are left: workers were released and the job re-forms from its latest checkpoint.</summary>
    Recovering = 3,

    /// <summary>Rank 0 reported the job finished.</summary>
    Completed = 4,

    /// <summary>A member failed (or was lost) with no restarts left; <see cref="JobStatus.FailureReason"/> says why.</summary>
    Failed = 5,

    /// <summary>An operator cancelled the job.</summary>
    Cancelled = 6,
}
