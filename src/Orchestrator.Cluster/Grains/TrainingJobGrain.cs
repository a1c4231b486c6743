using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orchestrator.Cluster.Grains.Abstractions;

namespace Orchestrator.Cluster.Grains;

/// <summary>
/// One job's state machine and membership; see <see cref="ITrainingJobGrain"/>. While the job is live a
/// monitor timer retries forming (Pending, Recovering; a Recovering job gives up after the replacement timeout)
/// and checks that members are alive and have not restarted (Forming, Running). At each checkpoint rank 0 reports,
/// free workers are admitted up to max_workers. Every change is written to grain storage before the grain tells workers.
/// </summary>
internal sealed partial class TrainingJobGrain(
    [PersistentState("job", ClusterStorage.Name)] IPersistentState<TrainingJobState> state,
    IGrainFactory grains,
    IOptions<JobPolicyOptions> policy,
    TimeProvider clock,
    ILogger<TrainingJobGrain> logger) : Grain, ITrainingJobGrain
{
    private IGrainTimer? monitor;

    /// <summary>
    /// When this activation started. Liveness counts from here at the earliest: after a coordinator restart the stored
    /// heartbeats are old, but the workers were not silent, the coordinator was.
    /// </summary>
    private DateTimeOffset activatedUtc;

    // The membership half (TrainingJobGrain.Membership.cs) reaches the constructor's dependencies through these.
    private IGrainFactory Grains => grains;

    private JobPolicyOptions Policy => policy.Value;

    private TimeProvider Clock => clock;

    /// <summary>The grain's logger, for both parts of this partial class (a primary-constructor parameter is visible in this file only).</summary>
    private ILogger Logger { get; } = logger;

    private string JobId => this.GetPrimaryKeyString();

    private TrainingJobState Job => state.State;

    /// <summary>Valid once <see cref="EnsureSubmitted"/> passed.</summary>
    private JobSpec Spec => Job.Spec!;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        activatedUtc = clock.GetUtcNow();
        if (Job.Spec is not null && !JobStateMachine.IsTerminal(Job.State))
        {
            StartMonitor();
        }

        return Task.CompletedTask;
    }

    public async Task<JobStatus> SubmitAsync(JobSpec spec)
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

        spec.Validate();
        var now = clock.GetUtcNow();
        Job.Spec = spec;
        Job.State = JobState.Pending;
        Job.SubmittedUtc = now;
        Job.WaitingSinceUtc = now;
        Job.History.Add(new JobTransition { From = null, To = JobState.Pending, AtUtc = now, Reason = "submitted" });
        await SaveAsync();
        await grains.GetJobRegistry().AddAsync(JobId);
        JobLog.Submitted(Logger, JobId, spec.WorldSize, spec.EffectiveMinWorkers, spec.EffectiveMaxWorkers);

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
        if (Job.Members.Find(m => !m.Ready) is { } faulty && Job.Members.TrueForAll(m => m.Ready || Job.ExcludedWorkers.Contains(m.WorkerId)))
        {
            await HandleMemberFailureAsync(Job.FailureReason ?? $"worker '{faulty.WorkerId}' (rank {faulty.Rank}) cannot run this job", faulty.WorkerId, null, usesRestart: false);
        }
        else if (Job.Members.All(m => m.Ready))
        {
            await MoveToAsync(JobState.Running, $"all {Job.Members.Count} members ready");
            await Task.WhenAll(Job.Members.Select(m => grains.GetWorker(m.WorkerId).StartAsync(JobId, CurrentAttempt)));
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
        await SaveAsync();
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

        var catalog = grains.GetCheckpointCatalog(JobId);
        var prune = await catalog.AddAsync(checkpoint);
        Job.LatestCheckpoint = await catalog.GetLatestAsync();
        await SaveAsync();
        if (Job.State == JobState.Running && member.Rank == 0 && Job.Members.Count < Spec.EffectiveMaxWorkers)
        {
            await TryGrowAsync(checkpoint.Step);
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

        // Also when the job is already recovering: every member may find the same fault in its own inputs.
        var inFormation = FindMember(workerId) is not null || Job.LostMembers.Exists(m => m.WorkerId == workerId);
        if (workerAtFault && inFormation && !Job.ExcludedWorkers.Contains(workerId))
        {
            Job.ExcludedWorkers.Add(workerId);
            JobLog.Excluded(Logger, JobId, workerId, reason);
            await SaveAsync();
        }

        if (Job.State is not (JobState.Forming or JobState.Running) || FindMember(workerId) is not { } member)
        {
            return Job.State;
        }

        // While forming every member checks its own inputs before confirming: wait for all their answers, so members
        // that share the fault are all left out at once instead of being released before they could say so.
        if (workerAtFault && Job.State == JobState.Forming && Job.Members.Exists(m => !m.Ready && !Job.ExcludedWorkers.Contains(m.WorkerId)))
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
        var transition = JobStateMachine.Move(JobId, Job.State, to, reason, clock.GetUtcNow());
        Job.State = to;
        Job.History.Add(transition);
        await SaveAsync();
        JobLog.Moved(Logger, JobId, transition.From, to, reason);
        if (JobStateMachine.IsTerminal(to))
        {
            monitor?.Dispose();
            monitor = null;
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

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private JobMember? FindMember(string workerId) => Job.Members.Find(m => m.WorkerId == workerId);

    private void ReplaceMember(JobMember updated) =>
        Job.Members[Job.Members.FindIndex(m => m.WorkerId == updated.WorkerId)] = updated;

    private async Task SaveAsync()
    {
        Job.Version++;
        Job.UpdatedUtc = clock.GetUtcNow();
        await state.WriteStateAsync();
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
