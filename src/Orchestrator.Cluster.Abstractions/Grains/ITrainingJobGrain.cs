namespace Orchestrator.Cluster.Grains.Abstractions;

/// <summary>
/// One training job, keyed by job id: its state machine, its members and its progress. Operators submit and
/// cancel through it; worker processes report to it directly (never through their worker grain, so the
/// grain call graph stays acyclic: job → worker → registry).
/// Reports from a worker that is not a member of the current formation (e.g. a straggler from before a
/// recovery) change nothing; the returned state tells it to stop.
/// </summary>
[Alias("Orchestrator.ITrainingJobGrain")]
public interface ITrainingJobGrain : IGrainWithStringKey
{
    /// <summary>
    /// Stores the spec (checked where it entered: the grain key must equal its <see cref="JobSpec.JobId"/>), then
    /// claims free workers right away; the job stays Pending until enough are free.
    /// Throws <see cref="JobAlreadyExistsException"/>, or <see cref="InvalidJobSpecException"/> for a spec sent to another job's grain.
    /// </summary>
    [Alias("Submit")]
    Task<JobStatus> SubmitAsync(ValidJobSpec spec);

    /// <summary>Throws <see cref="JobNotFoundException"/> when the job was never submitted.</summary>
    [Alias("GetStatus")]
    Task<JobStatus> GetStatusAsync();

    /// <summary>Moves the job to Cancelled and tells its workers to stop; <see cref="IllegalJobTransitionException"/> if it already ended.</summary>
    [Alias("Cancel")]
    Task<JobStatus> CancelAsync(string reason);

    /// <summary>
    /// A member has loaded its assignment and its collective server is listening. When every member of the
    /// formation has confirmed, the job moves to Running and each worker's directive becomes Run.
    /// </summary>
    [Alias("ConfirmReady")]
    Task<JobState> ConfirmReadyAsync(string workerId, int attempt);

    /// <summary>Records a member's progress; returns the job state (anything but Running means stop).</summary>
    [Alias("ReportProgress")]
    Task<JobState> ReportProgressAsync(string workerId, ProgressReport report);

    /// <summary>
    /// Adds a finished checkpoint to the job's catalog and returns the records that fell out of retention;
    /// the calling worker owns those files and deletes them.
    /// </summary>
    [Alias("ReportCheckpoint")]
    Task<IReadOnlyList<CheckpointRecord>> ReportCheckpointAsync(string workerId, CheckpointRecord checkpoint);

    /// <summary>Rank 0 only: training finished. Moves the job to Completed and frees every member.</summary>
    [Alias("ReportCompleted")]
    Task<JobState> ReportCompletedAsync(string workerId, ProgressReport final);

    /// <summary>
    /// A member cannot go on. The job re-forms from its latest checkpoint while restarts are left (Recovering),
    /// otherwise it moves to Failed with <paramref name="reason"/>; the other members are told to stop. A report from
    /// an earlier <paramref name="attempt"/> changes nothing: a worker still in the previous formation when the job
    /// re-formed (for a loss or an admission) sees its ring break as its peers leave, and that is not a new failure.
    /// <paramref name="workerAtFault"/> says the worker cannot run this job at all (its dataset is missing or damaged,
    /// its checkpoint or tokenizer does not match): the job goes on without it, never claims it again and uses no restart.
    /// </summary>
    [Alias("ReportFailure")]
    Task<JobState> ReportFailureAsync(string workerId, int attempt, string reason, bool workerAtFault = false);
}
