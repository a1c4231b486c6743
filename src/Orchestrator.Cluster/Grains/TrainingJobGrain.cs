using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orchestrator.Cluster.Grains.Abstractions;

namespace Orchestrator.Cluster.Grains;

/// <summary>
/// One job's state machine and membership; see <see cref="ITrainingJobGrain"/>. While the job is live a
/// monitor timer retries forming (Pending, Recovering) and checks that members are alive and have not
/// restarted (Forming, Running). Every change is written to grain storage before the grain tells workers.
/// </summary>
internal sealed class TrainingJobGrain(
    [PersistentState("job", ClusterStorage.Name)] IPersistentState<TrainingJobState> state,
    IGrainFactory grains,
    IOptions<JobPolicyOptions> policy,
    TimeProvider clock,
    ILogger<TrainingJobGrain> logger) : Grain, ITrainingJobGrain
{
    private IGrainTimer? monitor;

    private string JobId => this.GetPrimaryKeyString();

    private TrainingJobState Job => state.State;

    /// <summary>Valid once <see cref="EnsureSubmitted"/> passed.</summary>
    private JobSpec Spec => Job.Spec!;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
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
        Job.History.Add(new JobTransition { From = null, To = JobState.Pending, AtUtc = now, Reason = "submitted" });
        await SaveAsync();
        await grains.GetJobRegistry().AddAsync(JobId);
        logger.LogInformation("Job {JobId} submitted: world size {WorldSize} (min {Min})", JobId, spec.WorldSize, spec.EffectiveMinWorkers);

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
            logger.LogInformation("Job {JobId}: ignoring stale ready from {WorkerId} (attempt {Attempt}, job {State} attempt {Current})",
                JobId, workerId, attempt, Job.State, CurrentAttempt);
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
        if (FindMember(workerId) is null)
        {
            throw new WorkerProtocolException(
                $"worker '{workerId}' is not a member of job '{JobId}' attempt {CurrentAttempt}, so its checkpoint '{checkpoint.Path}' was not recorded");
        }

        var catalog = grains.GetCheckpointCatalog(JobId);
        var prune = await catalog.AddAsync(checkpoint);
        Job.LatestCheckpoint = await catalog.GetLatestAsync();
        await SaveAsync();
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
        logger.LogInformation("Job {JobId}: {From} -> {To} ({Reason})", JobId, transition.From, to, reason);
        if (JobStateMachine.IsTerminal(to))
        {
            monitor?.Dispose();
            monitor = null;
        }
    }

    /// <summary>Claims workers and hands out assignments, if enough live workers are free (Pending or Recovering).</summary>
    private async Task TryFormAsync()
    {
        var claimed = await grains.GetWorkerRegistry().ClaimAsync(JobId, Spec.EffectiveMinWorkers, Spec.WorldSize);
        if (claimed.Count == 0)
        {
            return;
        }

        var resuming = Spec.Resume || Job.State == JobState.Recovering;
        var resumeFrom = resuming ? (await grains.GetCheckpointCatalog(JobId).GetLatestAsync())?.Path : null;
        Job.Formations++;
        Job.FormedUtc = clock.GetUtcNow();
        Job.Members = claimed
            .Select((w, rank) => new JobMember { WorkerId = w.WorkerId, Rank = rank, GrpcEndpoint = w.Info.GrpcEndpoint, Incarnation = w.Incarnation })
            .ToList();
        Job.TokensPerSecond = 0;
        await MoveToAsync(JobState.Forming, $"attempt {CurrentAttempt}: claimed {claimed.Count} workers ({string.Join(", ", claimed.Select(w => w.WorkerId))})");

        var endpoints = Job.Members.Select(m => m.GrpcEndpoint).ToArray();
        var workerIds = Job.Members.Select(m => m.WorkerId).ToArray();
        await Task.WhenAll(Job.Members.Select(m => grains.GetWorker(m.WorkerId).AssignAsync(new WorkerAssignment
        {
            JobId = JobId,
            Attempt = CurrentAttempt,
            Rank = m.Rank,
            WorldSize = Job.Members.Count,
            PeerEndpoints = endpoints,
            PeerWorkerIds = workerIds,
            ConfigJson = Spec.ConfigJson,
            DataDir = Spec.DataDir,
            RunDir = Spec.RunDir,
            Resume = resuming,
            ResumeFromCheckpoint = resumeFrom,
        })));
    }

    /// <summary>Re-forms from the latest checkpoint while restarts are left, otherwise fails the job; stops every member either way.</summary>
    private async Task HandleMemberFailureAsync(string reason, string? failedWorkerId, string? error)
    {
        Job.FailureReason = reason;
        var recover = Job.RestartsUsed < Spec.MaxRestarts;
        if (recover)
        {
            Job.RestartsUsed++;
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

            if (status.LastSeenUtc is not { } seen || now - seen > timeout)
            {
                var silent = status.LastSeenUtc is { } s ? $"{(now - s).TotalSeconds:F0} s" : "ever";
                await HandleMemberFailureAsync(
                    $"worker '{member.WorkerId}' (rank {member.Rank}) not heard from for {silent} (liveness timeout {timeout.TotalSeconds:F0} s)", member.WorkerId, null);
                return;
            }
        }

        if (Job.State == JobState.Forming && now - Job.FormedUtc > policy.Value.ReadyTimeout)
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
    };
}
