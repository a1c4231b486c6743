using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orchestrator.Cluster.Grains.Abstractions;

namespace Orchestrator.Cluster.Grains;

/// <summary>
/// One job's state machine and membership; see <see cref="ITrainingJobGrain"/>. While the job is live a
/// monitor timer retries forming (Pending, Recovering; a Recovering job gives up after the replacement timeout)
/// and checks that members are alive and have not restarted (Forming, Running). At each checkpoint rank 0 reports,
/// free workers are admitted up to max_workers. Every change that must survive a restart is written to grain storage
/// before the grain tells workers; progress reports are not (<see cref="NoteUnsavedChange"/>). What to decide about
/// membership is <see cref="JobFormationRules"/>; the spec arrives checked (<see cref="ValidJobSpec"/>).
/// </summary>
internal sealed partial class TrainingJobGrain(
    [PersistentState("job", ClusterStorage.Name)] IPersistentState<TrainingJobState> state,
    IGrainFactory grains,
    IOptions<JobPolicyOptions> policy,
    TimeProvider clock,
    ILogger<TrainingJobGrain> logger) : Grain, ITrainingJobGrain
{
    private IGrainTimer? _monitor;

    /// <summary>
    /// When this activation started. Liveness counts from here at the earliest: after a coordinator restart the stored
    /// heartbeats are old, but the workers were not silent, the coordinator was.
    /// </summary>
    private DateTimeOffset _activatedUtc;

    /// <summary>Progress was recorded (and the version moved) since the state was last written; see <see cref="NoteUnsavedChange"/>.</summary>
    private bool _unsaved;

    // One member per dependency, for both halves of this partial class (a primary-constructor parameter is visible in
    // this file only); the parameters themselves are used nowhere else.
    private IGrainFactory Grains { get; } = grains;

    private JobPolicyOptions Policy { get; } = policy.Value;

    private JobFormationRules Rules { get; } = new(policy.Value);

    private TimeProvider Clock { get; } = clock;

    private ILogger Logger { get; } = logger;

    private string JobId => this.GetPrimaryKeyString();

    private TrainingJobState Job => state.State;

    /// <summary>Valid once <see cref="EnsureSubmitted"/> passed.</summary>
    private JobSpec Spec => Job.Spec!;

    /// <summary>Stores progress reported since the last write when the grain goes away cleanly (a coordinator stop, idle collection).</summary>
    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_unsaved)
        {
            await state.WriteStateAsync(cancellationToken);
            _unsaved = false;
        }
    }

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _activatedUtc = Clock.GetUtcNow();
        if (Job.Spec is not null && !JobStateMachine.IsTerminal(Job.State))
        {
            StartMonitor();
        }

        return Task.CompletedTask;
    }

    public async Task<JobStatus> SubmitAsync(ValidJobSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (Job.Spec is not null)
        {
            throw new JobAlreadyExistsException(
                $"job '{JobId}' was already submitted and is {Job.State}: submit under a new id (with resume and the same run dir to continue its training)");
        }

        if (spec.JobId != JobId)
        {
            throw new InvalidJobSpecException(nameof(JobSpec.JobId), $"spec names job '{spec.JobId}' but was sent to job grain '{JobId}'");
        }

        var now = Clock.GetUtcNow();
        Job.Spec = spec.Spec;
        Job.State = JobState.Pending;
        Job.SubmittedUtc = now;
        Job.WaitingSinceUtc = now;
        Job.History.Add(new JobTransition { From = null, To = JobState.Pending, AtUtc = now, Reason = "submitted" });
        await SaveAsync();
        await Grains.GetJobRegistry().AddAsync(JobId);
        JobLog.Submitted(Logger, JobId, Spec.WorldSize, Spec.EffectiveMinWorkers, Spec.EffectiveMaxWorkers);

        await TryFormAsync();
        StartMonitor();
        return Snapshot();
    }

    public Task<JobStatus> GetStatusAsync()
    {
        EnsureSubmitted();
        return Task.FromResult(Snapshot());
    }

    public async Task<JobStatus> CancelAsync(string reason)
    {
        EnsureSubmitted();
        var why = string.IsNullOrWhiteSpace(reason) ? "cancelled by operator" : $"cancelled: {reason}";
        await MoveToAsync(JobState.Cancelled, why);
        await ReleaseMembersAsync($"job '{JobId}' {why}");
        return Snapshot();
    }

    public async Task<JobState> ConfirmReadyAsync(string workerId, int attempt)
    {
        EnsureSubmitted();
        var member = FindMember(workerId);
        if (Job.State != JobState.Forming || attempt != CurrentAttempt || member is null)
        {
            JobLog.StaleReady(Logger, JobId, workerId, attempt, Job.State, CurrentAttempt);
            return Job.State;
        }

        if (!member.Ready)
        {
            ReplaceMember(member with { Ready = true });
            await SaveAsync();
        }

        // A member that found a fault in its own inputs answered too: re-form without it now that everyone has.
        if (JobFormationRules.AtFaultOnceAllAnswered(Job) is { } faulty)
        {
            await HandleMemberFailureAsync(Job.FailureReason ?? $"worker '{faulty.WorkerId}' (rank {faulty.Rank}) cannot run this job", faulty.WorkerId, null, usesRestart: false);
        }
        else if (Job.Members.All(m => m.Ready))
        {
            await MoveToAsync(JobState.Running, $"all {Job.Members.Count} members ready");
            await Task.WhenAll(Job.Members.Select(m => Grains.GetWorker(m.WorkerId).StartAsync(JobId, CurrentAttempt)));
        }

        return Job.State;
    }

    public async Task<JobState> ReportProgressAsync(string workerId, ProgressReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        report.Validate(workerId);
        EnsureSubmitted();
        if (Job.State != JobState.Running || FindMember(workerId) is not { } member)
        {
            return Job.State;
        }

        RecordProgress(member, report);
        NoteUnsavedChange();
        return Job.State;
    }

    public async Task<IReadOnlyList<CheckpointRecord>> ReportCheckpointAsync(string workerId, CheckpointRecord checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        EnsureSubmitted();
        if (FindMember(workerId) is not { } member)
        {
            throw new WorkerProtocolException(
                $"worker '{workerId}' is not a member of job '{JobId}' attempt {CurrentAttempt}, so its checkpoint '{checkpoint.Path}' was not recorded");
        }

        var catalog = Grains.GetCheckpointCatalog(JobId);
        var prune = await catalog.AddAsync(checkpoint);
        Job.LatestCheckpoint = await catalog.GetLatestAsync();
        await SaveAsync();
        if (JobFormationRules.ToGrow(Job, member) is { } growth)
        {
            await TryGrowAsync(growth, checkpoint.Step);
        }

        return prune;
    }

    public async Task<JobState> ReportCompletedAsync(string workerId, ProgressReport final)
    {
        ArgumentNullException.ThrowIfNull(final);
        final.Validate(workerId);
        EnsureSubmitted();
        if (Job.State != JobState.Running || FindMember(workerId) is not { } member)
        {
            return Job.State;
        }

        if (member.Rank != 0)
        {
            throw new WorkerProtocolException(
                $"worker '{workerId}' is rank {member.Rank} of job '{JobId}': only rank 0 reports completion, other ranks just stop");
        }

        RecordProgress(member, final);
        await MoveToAsync(JobState.Completed, $"rank 0 ('{workerId}') reported completion at step {final.Step}");
        await ReleaseMembersAsync($"job '{JobId}' completed");
        return Job.State;
    }

    public async Task<JobState> ReportFailureAsync(string workerId, int attempt, string reason, bool workerAtFault = false)
    {
        EnsureSubmitted();
        if (attempt != CurrentAttempt)
        {
            JobLog.StaleFailure(Logger, JobId, workerId, attempt, CurrentAttempt, reason);
            return Job.State;
        }

        if (JobFormationRules.Excludes(Job, workerId, workerAtFault))
        {
            Job.ExcludedWorkers.Add(workerId);
            JobLog.Excluded(Logger, JobId, workerId, reason);
            await SaveAsync();
        }

        if (Job.State is not (JobState.Forming or JobState.Running) || FindMember(workerId) is not { } member)
        {
            return Job.State;
        }

        if (JobFormationRules.AwaitsOtherAnswers(Job, workerAtFault))
        {
            Job.FailureReason = $"worker '{workerId}' (rank {member.Rank}) cannot run this job: {reason}";
            await SaveAsync();
            return Job.State;
        }

        await HandleMemberFailureAsync($"worker '{workerId}' (rank {member.Rank}) failed: {reason}", workerId, reason, usesRestart: !workerAtFault);
        return Job.State;
    }

    private void EnsureSubmitted()
    {
        if (Job.Spec is null)
        {
            throw new JobNotFoundException($"job '{JobId}' was never submitted: list known jobs with `orchestrator status`");
        }
    }

    private int CurrentAttempt => Math.Max(0, Job.Formations - 1);

    /// <summary>The one place a job changes state: checks the move against the table, records it, saves.</summary>
    private async Task MoveToAsync(JobState to, string reason)
    {
        var transition = JobStateMachine.Move(JobId, Job.State, to, reason, Clock.GetUtcNow());
        Job.State = to;
        Job.History.Add(transition);
        await SaveAsync();
        JobLog.Moved(Logger, JobId, transition.From, to, reason);
        if (JobStateMachine.IsTerminal(to))
        {
            _monitor?.Dispose();
            _monitor = null;
        }
    }

    private void RecordProgress(JobMember member, ProgressReport report)
    {
        ReplaceMember(member with { Step = report.Step, TokensPerSecond = report.TokensPerSecond, Timing = report.Timing ?? member.Timing });
        if (member.Rank == 0)
        {
            Job.Step = report.Step;
            Job.LastLoss = report.Loss;
        }

        Job.TokensPerSecond = Job.Members.Sum(m => m.TokensPerSecond);
    }

    private JobMember? FindMember(string workerId) => Job.Members.Find(m => m.WorkerId == workerId);

    private void ReplaceMember(JobMember updated) =>
        Job.Members[Job.Members.FindIndex(m => m.WorkerId == updated.WorkerId)] = updated;

    /// <summary>Writes the state, with any progress noted since the last write: every change that must survive a restart goes through here.</summary>
    private async Task SaveAsync()
    {
        Job.Version++;
        Job.UpdatedUtc = Clock.GetUtcNow();
        await state.WriteStateAsync();
        _unsaved = false;
    }

    /// <summary>
    /// A progress report changes the job (watchers see a new version) without a write: a restarted coordinator gets
    /// fresh reports within a log interval, so a write per report per worker would buy nothing. The next save (a
    /// checkpoint, a state change) or a clean deactivation stores it.
    /// </summary>
    private void NoteUnsavedChange()
    {
        Job.Version++;
        Job.UpdatedUtc = Clock.GetUtcNow();
        _unsaved = true;
    }

    private JobStatus Snapshot() => new()
    {
        Spec = Spec,
        State = Job.State,
        Attempt = CurrentAttempt,
        Members = Job.Members.ToArray(),
        Step = Job.Step,
        LastLoss = Job.LastLoss,
        TokensPerSecond = Job.TokensPerSecond,
        LatestCheckpoint = Job.LatestCheckpoint,
        FailureReason = Job.FailureReason,
        History = Job.History.ToArray(),
        Version = Job.Version,
        SubmittedUtc = Job.SubmittedUtc,
        UpdatedUtc = Job.UpdatedUtc,
        WaitingReason = Job.State is JobState.Pending or JobState.Recovering ? Job.WaitingReason : null,
    };
}
