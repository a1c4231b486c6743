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
internal sealed class TrainingJobGrain(
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
        JobLog.Submitted(logger, JobId, spec.WorldSize, spec.EffectiveMinWorkers, spec.EffectiveMaxWorkers);

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
            JobLog.StaleReady(logger, JobId, workerId, attempt, Job.State, CurrentAttempt);
            return Job.State;
        }

        if (!member.Ready)
        {
            ReplaceMember(member with { Ready = true });
            await SaveAsync();
        }

        if (Job.Members.All(m => m.Ready))
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

    public async Task<JobState> ReportFailureAsync(string workerId, string reason)
    {
        EnsureSubmitted();
        if (Job.State is not (JobState.Forming or JobState.Running) || FindMember(workerId) is not { } member)
        {
            return Job.State;
        }

        await HandleMemberFailureAsync($"worker '{workerId}' (rank {member.Rank}) failed: {reason}", workerId, reason);
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
        JobLog.Moved(logger, JobId, transition.From, to, reason);
        if (JobStateMachine.IsTerminal(to))
        {
            monitor?.Dispose();
            monitor = null;
        }
    }

    /// <summary>
    /// Claims workers and hands out assignments if enough live workers are free (Pending or Recovering); otherwise
    /// records why the job waits. Forming claims up to the world size; only growth goes beyond it.
    /// </summary>
    private async Task TryFormAsync()
    {
        var registry = grains.GetWorkerRegistry();
        var claimed = await registry.ClaimAsync(JobId, Spec.EffectiveMinWorkers, Spec.WorldSize);
        if (claimed.Count == 0)
        {
            await NoteWaitingAsync(await registry.CountAvailableAsync());
            return;
        }

        var resuming = Spec.Resume || Job.State == JobState.Recovering;
        var resumeFrom = resuming ? (await grains.GetCheckpointCatalog(JobId).GetLatestAsync())?.Path : null;
        await FormAsync(claimed.Select(NewMember).ToList(), resuming, resumeFrom,
            $"attempt {Job.Formations}: claimed {claimed.Count} workers ({string.Join(", ", claimed.Select(w => w.WorkerId))})");
    }

    /// <summary>
    /// Elastic growth at a checkpoint boundary: free live workers join the current members (up to max_workers) in a
    /// new formation that resumes from the latest checkpoint. Not a failure, so no restart is used.
    /// </summary>
    private async Task TryGrowAsync(long checkpointStep)
    {
        var joiners = await grains.GetWorkerRegistry().ClaimAsync(JobId, 1, Spec.EffectiveMaxWorkers - Job.Members.Count);
        if (joiners.Count == 0)
        {
            return;
        }

        var names = string.Join(", ", joiners.Select(w => w.WorkerId));
        var before = Job.Members.Count;
        JobLog.Admitting(logger, JobId, names, checkpointStep, before, before + joiners.Count);
        var members = Job.Members.OrderBy(m => m.Rank).Concat(joiners.Select(NewMember)).ToList();
        await FormAsync(members, resume: true, Job.LatestCheckpoint?.Path,
            $"attempt {Job.Formations}: admitting {names} at checkpoint step {checkpointStep} (world size {before} -> {members.Count})");
    }

    /// <summary>Starts a new attempt with <paramref name="members"/> ranked in list order and sends each its assignment.</summary>
    private async Task FormAsync(List<JobMember> members, bool resume, string? resumeFrom, string reason)
    {
        Job.Formations++;
        Job.FormedUtc = clock.GetUtcNow();
        Job.Members = members.Select((m, rank) => m with { Rank = rank, Ready = false, TokensPerSecond = 0 }).ToList();
        Job.TokensPerSecond = 0;
        Job.WaitingSinceUtc = null;
        Job.WaitingReason = null;
        await MoveToAsync(JobState.Forming, reason);

        var endpoints = Job.Members.Select(m => m.GrpcEndpoint).ToArray();
        var workerIds = Job.Members.Select(m => m.WorkerId).ToArray();
        await Task.WhenAll(Job.Members.Select(m => grains.GetWorker(m.WorkerId).AssignAsync(new WorkerAssignment
        {
            JobId = JobId,
            Attempt = CurrentAttempt,
            Rank = m.Rank,
            WorldSize = Job.Members.Count,
            JobWorldSize = Spec.WorldSize,
            PeerEndpoints = endpoints,
            PeerWorkerIds = workerIds,
            ConfigJson = Spec.ConfigJson,
            DataDir = Spec.DataDir,
            RunDir = Spec.RunDir,
            Resume = resume,
            ResumeFromCheckpoint = resumeFrom,
        })));
    }

    private static JobMember NewMember(RegisteredWorker worker) => new()
    {
        WorkerId = worker.WorkerId,
        GrpcEndpoint = worker.Info.GrpcEndpoint,
        Incarnation = worker.Incarnation,
    };

    /// <summary>Keeps the visible waiting reason current (saved and logged only when it changes).</summary>
    private async Task NoteWaitingAsync(int available)
    {
        var since = Job.WaitingSinceUtc ??= clock.GetUtcNow();
        var reason = $"waiting for workers: {available} free and live, needs at least {Spec.EffectiveMinWorkers}, since {since.UtcDateTime:HH:mm:ss} UTC";
        if (reason != Job.WaitingReason)
        {
            Job.WaitingReason = reason;
            await SaveAsync();
            JobLog.Waiting(logger, JobId, Job.State, reason);
        }
    }

    /// <summary>Re-forms from the latest checkpoint while restarts are left, otherwise fails the job; stops every member either way.</summary>
    private async Task HandleMemberFailureAsync(string reason, string? failedWorkerId, string? error)
    {
        if (failedWorkerId is not null && FindMember(failedWorkerId) is { } lost)
        {
            JobLog.MemberLost(logger, JobId, lost.WorkerId, lost.Rank, reason);
        }

        Job.FailureReason = reason;
        var recover = Job.RestartsUsed < Spec.MaxRestarts;
        if (recover)
        {
            Job.RestartsUsed++;
            Job.LostFormationSize = Job.Members.Count;
            Job.WaitingSinceUtc = clock.GetUtcNow();
            JobLog.Recovering(logger, JobId, Job.LatestCheckpoint?.Path ?? "none yet: from the start", Job.RestartsUsed, Spec.MaxRestarts, reason);
        }

        await MoveToAsync(recover ? JobState.Recovering : JobState.Failed, reason);
        await ReleaseMembersAsync(recover ? $"job '{JobId}' is recovering: {reason}" : $"job '{JobId}' failed: {reason}", failedWorkerId, error);
        if (recover)
        {
            Job.Members = [];
            Job.TokensPerSecond = 0;
            await SaveAsync();
            await TryFormAsync();
        }
    }

    /// <summary>A Recovering job that found no replacements within <see cref="JobPolicyOptions.ReplacementTimeout"/> fails, saying what it had and needed.</summary>
    private async Task GiveUpWaitingIfOverdueAsync()
    {
        var timeout = policy.Value.ReplacementTimeout;
        if (Job.State != JobState.Recovering || Job.WaitingSinceUtc is not { } since || clock.GetUtcNow() - Max(since, activatedUtc) <= timeout)
        {
            return;
        }

        var available = await grains.GetWorkerRegistry().CountAvailableAsync();
        var reason = $"no replacement workers within {timeout.TotalSeconds:F0} s (Orchestrator:Jobs:ReplacementTimeout): the job had {Job.LostFormationSize} workers, " +
                     $"{available} free and live now, needs at least {Spec.EffectiveMinWorkers} (min_workers); start more workers or resubmit with a lower min_workers " +
                     $"(last failure: {Job.FailureReason})";
        Job.FailureReason = reason;
        Job.WaitingReason = null;
        await MoveToAsync(JobState.Failed, reason);
    }

    private Task ReleaseMembersAsync(string reason, string? failedWorkerId = null, string? error = null) =>
        Task.WhenAll(Job.Members.Select(m =>
            grains.GetWorker(m.WorkerId).ReleaseAsync(JobId, reason, m.WorkerId == failedWorkerId ? error : null)));

    private void StartMonitor()
    {
        var interval = policy.Value.MonitorInterval;
        monitor ??= this.RegisterGrainTimer(MonitorAsync, new GrainTimerCreationOptions(interval, interval) { KeepAlive = true });
    }

    private async Task MonitorAsync(CancellationToken cancellationToken)
    {
        switch (Job.State)
        {
            case JobState.Pending or JobState.Recovering:
                await TryFormAsync();
                await GiveUpWaitingIfOverdueAsync();
                break;
            case JobState.Forming or JobState.Running:
                await CheckMembersAsync();
                break;
        }
    }

    /// <summary>Treats a member that went silent, restarted, or (while forming) never confirmed as failed.</summary>
    private async Task CheckMembersAsync()
    {
        var now = clock.GetUtcNow();
        var timeout = policy.Value.WorkerLivenessTimeout;
        var statuses = await Task.WhenAll(Job.Members.Select(m => grains.GetWorker(m.WorkerId).GetStatusAsync()));
        foreach (var (member, status) in Job.Members.Zip(statuses))
        {
            if (status.Info is null)
            {
                await HandleMemberFailureAsync($"worker '{member.WorkerId}' (rank {member.Rank}) unregistered", member.WorkerId, null);
                return;
            }

            if (status.Incarnation != member.Incarnation)
            {
                await HandleMemberFailureAsync(
                    $"worker '{member.WorkerId}' (rank {member.Rank}) restarted (registration {member.Incarnation} -> {status.Incarnation})", member.WorkerId, null);
                return;
            }

            var seen = Max(status.LastSeenUtc ?? activatedUtc, activatedUtc);
            if (now - seen > timeout)
            {
                var silent = $"{(now - seen).TotalSeconds:F0} s";
                await HandleMemberFailureAsync(
                    $"worker '{member.WorkerId}' (rank {member.Rank}) not heard from for {silent} (liveness timeout {timeout.TotalSeconds:F0} s)", member.WorkerId, null);
                return;
            }
        }

        if (Job.State == JobState.Forming && now - Max(Job.FormedUtc, activatedUtc) > policy.Value.ReadyTimeout)
        {
            var waiting = string.Join(", ", Job.Members.Where(m => !m.Ready).Select(m => $"'{m.WorkerId}'"));
            await HandleMemberFailureAsync(
                $"workers {waiting} did not confirm ready within {policy.Value.ReadyTimeout.TotalSeconds:F0} s", null, null);
        }
    }

    private void RecordProgress(JobMember member, ProgressReport report)
    {
        ReplaceMember(member with { Step = report.Step, TokensPerSecond = report.TokensPerSecond });
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
