using Orchestrator.Cluster.Grains.Abstractions;

namespace Orchestrator.Cluster.Grains;

/// <summary>
/// The membership half of <see cref="TrainingJobGrain"/>: forming from free workers, growing at a checkpoint, waiting
/// for workers (with a visible reason and, when recovering, a timeout), losing members, and the monitor that checks
/// their liveness. Liveness counts from this activation at the earliest, so a coordinator restart declares no one dead.
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
        if (Job.State == JobState.Recovering && await NoWorkerCanRunItAsync(registry))
        {
            return;
        }

        // After a failure only workers that checked in since count, so a member that just died is not claimed again.
        var heardSince = Job.State == JobState.Recovering ? Job.FailedUtc : null;
        var silent = heardSince is { } failed ? await SilentLostMembersAsync(failed) : [];
        if (silent.Count > 0 && Clock.GetUtcNow() - heardSince!.Value < Policy.RecoveryGrace)
        {
            await NoteWaitingAsync($"waiting for {silent.Count} of the {Job.LostMembers.Count} members of the lost formation to check in (at most " +
                                   $"{Policy.RecoveryGrace.TotalSeconds:F0} s, Orchestrator:Jobs:RecoveryGrace)");
            return;
        }

        var claimed = await registry.ClaimAsync(JobId, Spec.EffectiveMinWorkers, Spec.WorldSize, heardSince, Job.ExcludedWorkers);
        if (claimed.Count == 0)
        {
            await NoteWaitingAsync($"waiting for workers: {await registry.CountAvailableAsync(heardSince, Job.ExcludedWorkers)} free and live, needs at least {Spec.EffectiveMinWorkers}");
            return;
        }

        var recovering = Job.State == JobState.Recovering;
        var resumeFrom = Spec.Resume || recovering ? (await Grains.GetCheckpointCatalog(JobId).GetLatestAsync())?.Path : null;
        // A job lost before its first checkpoint starts again from the seed's initial weights: there is nothing to resume.
        var resuming = Spec.Resume || (recovering && resumeFrom is not null);
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
    /// Fails the job at once when every member of the lost formation reported a fault in its own inputs (a wrong data
    /// path in the spec, say) and no other worker is free to try: waiting for replacements would only delay the error.
    /// </summary>
    private async Task<bool> NoWorkerCanRunItAsync(IWorkerRegistryGrain registry)
    {
        if (Job.LostMembers.Count == 0 || !Job.LostMembers.TrueForAll(m => Job.ExcludedWorkers.Contains(m.WorkerId)) ||
            await registry.CountAvailableAsync(excluded: Job.ExcludedWorkers) > 0)
        {
            return false;
        }

        var reason = $"no worker can run this job: {string.Join(", ", Job.ExcludedWorkers.Select(w => $"'{w}'"))} each reported a fault in its own " +
                     $"inputs and no other worker is free; fix the job's data/run paths or those workers, then resubmit (last: {Job.FailureReason})";
        Job.FailureReason = reason;
        Job.WaitingReason = null;
        await MoveToAsync(JobState.Failed, reason);
        return true;
    }

    /// <summary>
    /// Members of the lost formation that have not heartbeated since <paramref name="failedUtc"/>. A recovering job
    /// waits up to <see cref="JobPolicyOptions.RecoveryGrace"/> for them, then re-forms without them and names them.
    /// </summary>
    private async Task<List<JobMember>> SilentLostMembersAsync(DateTimeOffset failedUtc)
    {
        var statuses = await Task.WhenAll(Job.LostMembers.Select(m => Grains.GetWorker(m.WorkerId).GetStatusAsync()));
        return Job.LostMembers.Zip(statuses)
            .Where(pair => pair.Second.LastSeenUtc is not { } seen || seen <= failedUtc)
            .Select(pair => pair.First)
            .ToList();
    }

    /// <summary>
    /// Elastic growth at a checkpoint boundary: free live workers join the current members (up to max_workers) in a
    /// new formation that resumes from the latest checkpoint. Not a failure, so no restart is used.
    /// </summary>
    private async Task TryGrowAsync(long checkpointStep)
    {
        var joiners = await Grains.GetWorkerRegistry().ClaimAsync(JobId, 1, Spec.EffectiveMaxWorkers - Job.Members.Count, excluded: Job.ExcludedWorkers);
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
        // A worker that cannot run this job is left out; re-forming without it is not a restart of the job.
        var recover = !usesRestart || Job.RestartsUsed < Spec.MaxRestarts;
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
        var timeout = Policy.ReplacementTimeout;
        if (Job.State != JobState.Recovering || Job.WaitingSinceUtc is not { } since || Clock.GetUtcNow() - Max(since, activatedUtc) <= timeout)
        {
            return;
        }

        var available = await Grains.GetWorkerRegistry().CountAvailableAsync(excluded: Job.ExcludedWorkers);
        var reason = $"no replacement workers within {timeout.TotalSeconds:F0} s (Orchestrator:Jobs:ReplacementTimeout): the job had {Job.LostFormationSize} workers, " +
                     $"{available} free and live now, needs at least {Spec.EffectiveMinWorkers} (min_workers); start more workers or resubmit with a lower min_workers " +
                     $"(last failure: {Job.FailureReason})";
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
        var now = Clock.GetUtcNow();
        var timeout = Policy.WorkerLivenessTimeout;
        var statuses = await Task.WhenAll(Job.Members.Select(m => Grains.GetWorker(m.WorkerId).GetStatusAsync()));
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
                    $"worker '{member.WorkerId}' (rank {member.Rank}) not heard from for {silent} (liveness timeout {timeout.TotalSeconds:F0} s; " +
                    $"its host: {HostOf(member.GrpcEndpoint)})", member.WorkerId, null);
                return;
            }
        }

        if (Job.State == JobState.Forming && now - Max(Job.FormedUtc, activatedUtc) > Policy.ReadyTimeout)
        {
            var waiting = string.Join(", ", Job.Members.Where(m => !m.Ready).Select(m => $"'{m.WorkerId}'"));
            await HandleMemberFailureAsync(
                $"workers {waiting} did not confirm ready within {Policy.ReadyTimeout.TotalSeconds:F0} s", null, null);
        }
    }

    // The address a member advertised, so a failure names the machine to look at, not only the worker id.
    private static string HostOf(string endpoint) =>
        Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) ? uri.Host : endpoint;
}
