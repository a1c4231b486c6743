using Orchestrator.Cluster.Grains.Abstractions;

namespace Orchestrator.Cluster.Grains;

/// <summary>
/// The membership half of <see cref="TrainingJobGrain"/>: forming from free workers, growing at a checkpoint, waiting
/// for workers (with a visible reason and, when recovering, a timeout), losing members, and the monitor that checks
/// their liveness. What to decide is <see cref="JobFormationRules"/>; this half fetches what the rules need from the
/// registry and worker grains and carries their answers out (claims, assignments, state moves, saves).
/// </summary>
internal sealed partial class TrainingJobGrain
{
    /// <summary>
    /// Claims workers and hands out assignments if enough live workers are free (Pending or Recovering); otherwise
    /// records why the job waits. Forming claims up to the world size; only growth goes beyond it.
    /// </summary>
    private async Task TryFormAsync()
    {
        var registry = Grains.GetWorkerRegistry();
        if (JobFormationRules.EveryLostMemberCannotRunIt(Job) &&
            JobFormationRules.NoWorkerCanRunIt(Job, await registry.CountAvailableAsync(excluded: Job.ExcludedWorkers)) is { } hopeless)
        {
            await FailWaitingAsync(hopeless);
            return;
        }

        var silent = JobFormationRules.HeardSince(Job) is { } failed
            ? JobFormationRules.SilentSince(Job.LostMembers, await Task.WhenAll(Job.LostMembers.Select(m => Grains.GetWorker(m.WorkerId).GetStatusAsync())), failed)
            : [];
        if (Rules.WaitForLostMembers(Job, silent.Count, Clock.GetUtcNow()) is { } waitingForLost)
        {
            await NoteWaitingAsync(waitingForLost);
            return;
        }

        var claim = JobFormationRules.ToForm(Job);
        var claimed = await registry.ClaimAsync(JobId, claim.Minimum, claim.Maximum, claim.HeardSince, claim.Excluded);
        if (claimed.Count == 0)
        {
            await NoteWaitingAsync(JobFormationRules.WaitingForWorkers(Job, await registry.CountAvailableAsync(claim.HeardSince, claim.Excluded)));
            return;
        }

        var resumeFrom = JobFormationRules.LooksForCheckpoint(Job) ? (await Grains.GetCheckpointCatalog(JobId).GetLatestAsync())?.Path : null;
        var resuming = JobFormationRules.Resumes(Job, resumeFrom);
        var leftOut = silent;
        foreach (var missing in leftOut)
        {
            JobLog.LeftOut(Logger, JobId, missing.WorkerId, missing.Rank);
        }

        var without = leftOut.Count == 0 ? "" : $"; left out {string.Join(", ", leftOut.Select(m => $"'{m.WorkerId}' (rank {m.Rank})"))}, not heard from since the failure";
        Job.LostMembers = [];
        await FormAsync(claimed.Select(NewMember).ToList(), resuming, resumeFrom,
            $"attempt {Job.Formations}: claimed {claimed.Count} workers ({string.Join(", ", claimed.Select(w => w.WorkerId))}){without}");
    }

    /// <summary>
    /// Elastic growth at a checkpoint boundary: free live workers join the current members (up to max_workers) in a
    /// new formation that resumes from the latest checkpoint. Not a failure, so no restart is used.
    /// </summary>
    private async Task TryGrowAsync(JobFormationRules.Claim claim, long checkpointStep)
    {
        var joiners = await Grains.GetWorkerRegistry().ClaimAsync(JobId, claim.Minimum, claim.Maximum, claim.HeardSince, claim.Excluded);
        if (joiners.Count == 0)
        {
            return;
        }

        var names = string.Join(", ", joiners.Select(w => w.WorkerId));
        var before = Job.Members.Count;
        JobLog.Admitting(Logger, JobId, names, checkpointStep, before, before + joiners.Count);
        var members = Job.Members.OrderBy(m => m.Rank).Concat(joiners.Select(NewMember)).ToList();
        await FormAsync(members, resume: true, Job.LatestCheckpoint?.Path,
            $"attempt {Job.Formations}: admitting {names} at checkpoint step {checkpointStep} (world size {before} -> {members.Count})");
    }

    /// <summary>Starts a new attempt with <paramref name="members"/> ranked in list order and sends each its assignment.</summary>
    private async Task FormAsync(List<JobMember> members, bool resume, string? resumeFrom, string reason)
    {
        Job.Formations++;
        Job.FormedUtc = Clock.GetUtcNow();
        Job.Members = members.Select((m, rank) => m with { Rank = rank, Ready = false, TokensPerSecond = 0, Timing = null }).ToList();
        Job.TokensPerSecond = 0;
        Job.WaitingSinceUtc = null;
        Job.WaitingReason = null;
        await MoveToAsync(JobState.Forming, reason);

        var endpoints = Job.Members.Select(m => m.GrpcEndpoint).ToArray();
        var workerIds = Job.Members.Select(m => m.WorkerId).ToArray();
        await Task.WhenAll(Job.Members.Select(m => Grains.GetWorker(m.WorkerId).AssignAsync(new WorkerAssignment
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
            Restarts = Job.RestartsUsed,
        })));
    }

    private static JobMember NewMember(RegisteredWorker worker) => new()
    {
        WorkerId = worker.WorkerId,
        GrpcEndpoint = worker.Info.GrpcEndpoint,
        Incarnation = worker.Incarnation,
    };

    /// <summary>Keeps the visible waiting reason current (saved and logged only when it changes).</summary>
    private async Task NoteWaitingAsync(string what)
    {
        var since = Job.WaitingSinceUtc ??= Clock.GetUtcNow();
        var reason = $"{what}, since {since.UtcDateTime:HH:mm:ss} UTC";
        if (reason != Job.WaitingReason)
        {
            Job.WaitingReason = reason;
            await SaveAsync();
            JobLog.Waiting(Logger, JobId, Job.State, reason);
        }
    }

    /// <summary>Re-forms from the latest checkpoint while restarts are left, otherwise fails the job; stops every member either way.</summary>
    private async Task HandleMemberFailureAsync(string reason, string? failedWorkerId, string? error, bool usesRestart = true)
    {
        if (failedWorkerId is not null && FindMember(failedWorkerId) is { } lost)
        {
            JobLog.MemberLost(Logger, JobId, lost.WorkerId, lost.Rank, reason);
        }

        Job.FailureReason = reason;
        var recover = JobFormationRules.Recovers(Job, usesRestart);
        if (recover)
        {
            Job.RestartsUsed += usesRestart ? 1 : 0;
            Job.LostFormationSize = Job.Members.Count;
            Job.LostMembers = Job.Members.ToList();
            Job.FailedUtc = Clock.GetUtcNow();
            Job.WaitingSinceUtc = Job.FailedUtc;
            JobLog.Recovering(Logger, JobId, Job.LatestCheckpoint?.Path ?? "none yet: from the start", Job.RestartsUsed, Spec.MaxRestarts, reason);
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
        if (Rules.WaitedTooLong(Job, Clock.GetUtcNow(), _activatedUtc))
        {
            await FailWaitingAsync(Rules.GaveUpWaiting(Job, await Grains.GetWorkerRegistry().CountAvailableAsync(excluded: Job.ExcludedWorkers)));
        }
    }

    /// <summary>A waiting job fails: the reason replaces the waiting reason.</summary>
    private async Task FailWaitingAsync(string reason)
    {
        Job.FailureReason = reason;
        Job.WaitingReason = null;
        await MoveToAsync(JobState.Failed, reason);
    }

    private Task ReleaseMembersAsync(string reason, string? failedWorkerId = null, string? error = null) =>
        Task.WhenAll(Job.Members.Select(m =>
            Grains.GetWorker(m.WorkerId).ReleaseAsync(JobId, reason, m.WorkerId == failedWorkerId ? error : null)));

    private void StartMonitor()
    {
        var interval = Policy.MonitorInterval;
        _monitor ??= this.RegisterGrainTimer(MonitorAsync, new GrainTimerCreationOptions(interval, interval) { KeepAlive = true });
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
        var now = Clock.GetUtcNow();
        var statuses = await Task.WhenAll(Job.Members.Select(m => Grains.GetWorker(m.WorkerId).GetStatusAsync()));
        foreach (var (member, status) in Job.Members.Zip(statuses))
        {
            if (Rules.WhyLost(member, status, now, _activatedUtc) is { } lost)
            {
                await HandleMemberFailureAsync(lost, member.WorkerId, null);
                return;
            }
        }

        if (Rules.NotReadyInTime(Job, now, _activatedUtc) is { } notReady)
        {
            await HandleMemberFailureAsync(notReady, null, null);
        }
    }
}
