using Orchestrator.Cluster.Grains.Abstractions;

namespace Orchestrator.Cluster.Grains;

/// <summary>
/// Who trains a job and when: which workers a forming, recovering or growing job claims, how long a recovering job
/// waits for its lost members and for replacements, when a member counts as lost, and which workers are left out for
/// good. Decisions only, from the job's state, the time and what the registry and worker grains reported:
/// <see cref="TrainingJobGrain"/> fetches those, asks here and carries the answer out, so every rule is tested with
/// plain values, without a silo. Liveness is counted from <c>countFrom</c> at the earliest (the grain's activation):
/// after a coordinator restart the workers were not silent, the coordinator was.
/// </summary>
public sealed class JobFormationRules(JobPolicyOptions policy)
{
    /// <summary>What a job asks the registry for: between <paramref name="Minimum"/> and <paramref name="Maximum"/> free live workers, or none.</summary>
    /// <param name="Minimum">Fewest workers worth claiming; fewer available means none are claimed.</param>
    /// <param name="Maximum">Most workers to claim.</param>
    /// <param name="HeardSince">Only workers heard from after this instant count (null: any live worker).</param>
    /// <param name="Excluded">Workers that cannot run this job; never claimed for it.</param>
    public sealed record Claim(int Minimum, int Maximum, DateTimeOffset? HeardSince, IReadOnlyCollection<string> Excluded);

    /// <summary>
    /// A recovering job claims only workers heard from since its formation was lost, so a member that died a moment
    /// ago (still inside its liveness timeout) is not claimed again. A pending job takes any free live worker.
    /// </summary>
    public static DateTimeOffset? HeardSince(TrainingJobState job) => job.State == JobState.Recovering ? job.FailedUtc : null;

    /// <summary>Forming claims between min_workers and the world size; only growth goes beyond it.</summary>
    public static Claim ToForm(TrainingJobState job) =>
        new(SpecOf(job).EffectiveMinWorkers, SpecOf(job).WorldSize, HeardSince(job), job.ExcludedWorkers);

    /// <summary>Why a job that could not claim enough workers waits.</summary>
    public static string WaitingForWorkers(TrainingJobState job, int available) =>
        $"waiting for workers: {available} free and live, needs at least {SpecOf(job).EffectiveMinWorkers}";

    /// <summary>
    /// Members of the lost formation that have not heartbeated since <paramref name="failedUtc"/>;
    /// <paramref name="statuses"/> are the workers' statuses in the order of <paramref name="lost"/>.
    /// </summary>
    public static List<JobMember> SilentSince(IReadOnlyList<JobMember> lost, IReadOnlyList<WorkerStatus> statuses, DateTimeOffset failedUtc) =>
        lost.Zip(statuses)
            .Where(pair => pair.Second.LastSeenUtc is not { } seen || seen <= failedUtc)
            .Select(pair => pair.First)
            .ToList();

    /// <summary>
    /// While <paramref name="silent"/> members of the lost formation have not checked in, a recovering job waits for
    /// them up to <see cref="JobPolicyOptions.RecoveryGrace"/> from the failure (survivors check in within a heartbeat
    /// or two), then re-forms without them. Returns the waiting reason, or null to form now.
    /// </summary>
    public string? WaitForLostMembers(TrainingJobState job, int silent, DateTimeOffset now) =>
        silent > 0 && job.FailedUtc is { } failed && now - failed < policy.RecoveryGrace
            ? $"waiting for {silent} of the {job.LostMembers.Count} members of the lost formation to check in (at most " +
              $"{policy.RecoveryGrace.TotalSeconds:F0} s, Orchestrator:Jobs:RecoveryGrace)"
            : null;

    /// <summary>A recovery always resumes from the latest checkpoint; a spec with resume does from its first formation on.</summary>
    public static bool LooksForCheckpoint(TrainingJobState job) => SpecOf(job).Resume || job.State == JobState.Recovering;

    /// <summary>A job lost before its first checkpoint starts again from the seed's initial weights: there is nothing to resume.</summary>
    public static bool Resumes(TrainingJobState job, string? latestCheckpoint) =>
        SpecOf(job).Resume || (job.State == JobState.Recovering && latestCheckpoint is not null);

    /// <summary>Every member of the lost formation reported a fault in its own inputs (a wrong data path in the spec, say).</summary>
    public static bool EveryLostMemberCannotRunIt(TrainingJobState job) =>
        job.State == JobState.Recovering && job.LostMembers.Count > 0 && job.LostMembers.TrueForAll(m => job.ExcludedWorkers.Contains(m.WorkerId));

    /// <summary>
    /// Why the job fails at once when <see cref="EveryLostMemberCannotRunIt"/> and no other worker is free to try
    /// (<paramref name="available"/> counts free live workers not excluded): waiting for replacements would only delay
    /// the error. Null when the job should go on.
    /// </summary>
    public static string? NoWorkerCanRunIt(TrainingJobState job, int available) =>
        EveryLostMemberCannotRunIt(job) && available == 0
            ? $"no worker can run this job: {string.Join(", ", job.ExcludedWorkers.Select(w => $"'{w}'"))} each reported a fault in its own " +
              $"inputs and no other worker is free; fix the job's data/run paths or those workers, then resubmit (last: {job.FailureReason})"
            : null;

    /// <summary>
    /// A recovering job waited longer than <see cref="JobPolicyOptions.ReplacementTimeout"/> for enough workers. Pending
    /// jobs wait without limit: nothing has been lost yet.
    /// </summary>
    public bool WaitedTooLong(TrainingJobState job, DateTimeOffset now, DateTimeOffset countFrom) =>
        job.State == JobState.Recovering && job.WaitingSinceUtc is { } since && now - Later(since, countFrom) > policy.ReplacementTimeout;

    /// <summary>Why a job that <see cref="WaitedTooLong"/> fails: what it had, what is free now and what it needs.</summary>
    public string GaveUpWaiting(TrainingJobState job, int available) =>
        $"no replacement workers within {policy.ReplacementTimeout.TotalSeconds:F0} s (Orchestrator:Jobs:ReplacementTimeout): the job had {job.LostFormationSize} workers, " +
        $"{available} free and live now, needs at least {SpecOf(job).EffectiveMinWorkers} (min_workers); start more workers or resubmit with a lower min_workers " +
        $"(last failure: {job.FailureReason})";

    /// <summary>
    /// Elastic growth: at rank 0's checkpoint a running job below max_workers admits free live workers up to it (never
    /// ones that cannot run it). Null when the job does not grow at this report.
    /// </summary>
    public static Claim? ToGrow(TrainingJobState job, JobMember reporter)
    {
        var room = SpecOf(job).EffectiveMaxWorkers - job.Members.Count;
        return job.State == JobState.Running && reporter.Rank == 0 && room > 0 ? new Claim(1, room, null, job.ExcludedWorkers) : null;
    }

    /// <summary>
    /// A worker that reports a fault in its own inputs (missing data, a mismatched checkpoint) while in the job's
    /// current or just-lost formation is left out of the job's formations from now on. True when it is newly excluded.
    /// Also while the job is already recovering: every member may find the same fault in its own inputs.
    /// </summary>
    public static bool Excludes(TrainingJobState job, string workerId, bool workerAtFault) =>
        workerAtFault && !job.ExcludedWorkers.Contains(workerId) &&
        (job.Members.Exists(m => m.WorkerId == workerId) || job.LostMembers.Exists(m => m.WorkerId == workerId));

    /// <summary>
    /// While forming, every member checks its own inputs before it confirms: a member at fault waits until all have
    /// answered (ready or at fault), so members that share the fault are all left out at once instead of being
    /// released before they could say so.
    /// </summary>
    public static bool AwaitsOtherAnswers(TrainingJobState job, bool workerAtFault) =>
        workerAtFault && job.State == JobState.Forming && job.Members.Exists(m => !m.Ready && !job.ExcludedWorkers.Contains(m.WorkerId));

    /// <summary>
    /// Once every member of a forming job answered, the first member that cannot run it, for the job to re-form without
    /// those; null while some have not answered or when none is at fault.
    /// </summary>
    public static JobMember? AtFaultOnceAllAnswered(TrainingJobState job) =>
        job.Members.Find(m => !m.Ready) is { } faulty && job.Members.TrueForAll(m => m.Ready || job.ExcludedWorkers.Contains(m.WorkerId))
            ? faulty
            : null;

    /// <summary>A failure re-forms the job while restarts are left; leaving out a worker that cannot run it is not a restart.</summary>
    public static bool Recovers(TrainingJobState job, bool usesRestart) => !usesRestart || job.RestartsUsed < SpecOf(job).MaxRestarts;

    /// <summary>
    /// Why a member counts as lost, or null while it is fine: it unregistered, restarted (a new registration), or was not
    /// heard from for <see cref="JobPolicyOptions.WorkerLivenessTimeout"/>.
    /// </summary>
    public string? WhyLost(JobMember member, WorkerStatus status, DateTimeOffset now, DateTimeOffset countFrom)
    {
        if (status.Info is null)
        {
            return $"worker '{member.WorkerId}' (rank {member.Rank}) unregistered";
        }

        if (status.Incarnation != member.Incarnation)
        {
            return $"worker '{member.WorkerId}' (rank {member.Rank}) restarted (registration {member.Incarnation} -> {status.Incarnation})";
        }

        var seen = Later(status.LastSeenUtc ?? countFrom, countFrom);
        var timeout = policy.WorkerLivenessTimeout;
        return now - seen > timeout
            ? $"worker '{member.WorkerId}' (rank {member.Rank}) not heard from for {(now - seen).TotalSeconds:F0} s (liveness timeout {timeout.TotalSeconds:F0} s; " +
              $"its host: {member.Host})"
            : null;
    }

    /// <summary>Why a forming job gives up on members that did not confirm ready within <see cref="JobPolicyOptions.ReadyTimeout"/>, or null.</summary>
    public string? NotReadyInTime(TrainingJobState job, DateTimeOffset now, DateTimeOffset countFrom) =>
        job.State == JobState.Forming && now - Later(job.FormedUtc, countFrom) > policy.ReadyTimeout
            ? $"workers {string.Join(", ", job.Members.Where(m => !m.Ready).Select(m => $"'{m.WorkerId}'"))} did not confirm ready within {policy.ReadyTimeout.TotalSeconds:F0} s"
            : null;

    private static JobSpec SpecOf(TrainingJobState job) =>
        job.Spec ?? throw new InvalidOperationException("the job was never submitted: formation rules need its spec");

    private static DateTimeOffset Later(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}
