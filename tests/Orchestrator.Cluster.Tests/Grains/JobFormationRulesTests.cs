using Orchestrator.Cluster.Grains;
using Orchestrator.Cluster.Grains.Abstractions;

namespace Orchestrator.Cluster.Tests.Grains;

/// <summary>The forming and growth rules on plain values: no silo, no grains, no clock but the instants given.</summary>
public sealed class JobFormationRulesTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    private static readonly JobPolicyOptions Policy = new()
    {
        WorkerLivenessTimeout = TimeSpan.FromSeconds(30),
        RecoveryGrace = TimeSpan.FromSeconds(3),
        ReadyTimeout = TimeSpan.FromMinutes(5),
        ReplacementTimeout = TimeSpan.FromMinutes(10),
    };

    private readonly JobFormationRules _rules = new(Policy);

    private static JobSpec Spec(int worldSize, int? minWorkers = null, int? maxWorkers = null, int maxRestarts = 0, bool resume = false) => new()
    {
        JobId = "rules-job", DataDir = "/data", RunDir = "/run", WorldSize = worldSize,
        MinWorkers = minWorkers, MaxWorkers = maxWorkers, MaxRestarts = maxRestarts, Resume = resume,
    };

    private static JobMember Member(string id, int rank, bool ready = false, int incarnation = 1) =>
        new() { WorkerId = id, Rank = rank, Ready = ready, Incarnation = incarnation, GrpcEndpoint = $"http://host-{id}:7000" };

    private static TrainingJobState Job(JobSpec spec, JobState state, params JobMember[] members) =>
        new() { Spec = spec, State = state, Members = [.. members] };

    private static TrainingJobState Recovering(JobSpec spec, DateTimeOffset failed, params JobMember[] lost) =>
        new() { Spec = spec, State = JobState.Recovering, FailedUtc = failed, WaitingSinceUtc = failed, LostMembers = [.. lost], LostFormationSize = lost.Length };

    private static WorkerStatus Seen(string id, DateTimeOffset? at, int incarnation = 1) =>
        new() { WorkerId = id, Info = new WorkerInfo { GrpcEndpoint = "127.0.0.1:7000" }, Incarnation = incarnation, LastSeenUtc = at };

    [Fact]
    public void A_pending_job_claims_any_live_worker_between_min_workers_and_its_world_size()
    {
        var job = Job(Spec(worldSize: 4, minWorkers: 2, maxWorkers: 8), JobState.Pending);
        job.ExcludedWorkers.Add("bad");

        var claim = JobFormationRules.ToForm(job);

        Assert.Equal((2, 4, (DateTimeOffset?)null), (claim.Minimum, claim.Maximum, claim.HeardSince));
        Assert.Equal(["bad"], claim.Excluded);
        Assert.Equal("waiting for workers: 1 free and live, needs at least 2", JobFormationRules.WaitingForWorkers(job, 1));
    }

    [Fact]
    public void A_recovering_job_claims_only_workers_heard_from_since_the_failure()
    {
        var job = Recovering(Spec(worldSize: 2), T0, Member("a", 0), Member("b", 1));

        Assert.Equal(T0, JobFormationRules.ToForm(job).HeardSince);
    }

    [Fact]
    public void Lost_members_not_heard_from_since_the_failure_are_silent()
    {
        var lost = new[] { Member("a", 0), Member("b", 1), Member("c", 2) };
        var statuses = new[] { Seen("a", T0.AddSeconds(1)), Seen("b", T0), Seen("c", null) };

        var silent = JobFormationRules.SilentSince(lost, statuses, T0);

        Assert.Equal(["b", "c"], silent.Select(m => m.WorkerId));
    }

    [Fact]
    public void A_recovering_job_waits_for_silent_lost_members_only_within_the_recovery_grace()
    {
        var job = Recovering(Spec(worldSize: 3, minWorkers: 2), T0, Member("a", 0), Member("b", 1), Member("c", 2));

        Assert.Equal("waiting for 1 of the 3 members of the lost formation to check in (at most 3 s, Orchestrator:Jobs:RecoveryGrace)",
            _rules.WaitForLostMembers(job, silent: 1, now: T0.AddSeconds(2)));
        Assert.Null(_rules.WaitForLostMembers(job, silent: 1, now: T0.AddSeconds(3)));
        Assert.Null(_rules.WaitForLostMembers(job, silent: 0, now: T0.AddSeconds(1)));
    }

    [Theory]
    [InlineData(JobState.Pending, false, false, null, false)]
    [InlineData(JobState.Pending, true, true, null, true)]
    [InlineData(JobState.Recovering, false, true, null, false)]
    [InlineData(JobState.Recovering, false, true, "/run/step-20", true)]
    public void Recovery_resumes_from_the_latest_checkpoint_once_there_is_one_and_a_spec_may_always_resume(
        JobState state, bool specResume, bool looksForCheckpoint, string? latest, bool resumes)
    {
        var job = Job(Spec(worldSize: 2, resume: specResume), state);

        Assert.Equal(looksForCheckpoint, JobFormationRules.LooksForCheckpoint(job));
        Assert.Equal(resumes, JobFormationRules.Resumes(job, latest));
    }

    [Fact]
    public void No_worker_can_run_the_job_when_every_lost_member_is_at_fault_and_no_other_worker_is_free()
    {
        var job = Recovering(Spec(worldSize: 2, maxRestarts: 1), T0, Member("a", 0), Member("b", 1));
        job.FailureReason = "worker 'a' (rank 0) failed: dataset directory '/data' does not exist";
        job.ExcludedWorkers.AddRange(["b", "a"]);

        Assert.True(JobFormationRules.EveryLostMemberCannotRunIt(job));
        Assert.Null(JobFormationRules.NoWorkerCanRunIt(job, available: 1));
        var reason = JobFormationRules.NoWorkerCanRunIt(job, available: 0);
        Assert.StartsWith("no worker can run this job: 'b', 'a' each reported a fault in its own inputs and no other worker is free", reason);
        Assert.EndsWith("(last: worker 'a' (rank 0) failed: dataset directory '/data' does not exist)", reason);

        job.ExcludedWorkers.Remove("b");
        Assert.False(JobFormationRules.EveryLostMemberCannotRunIt(job));
        Assert.Null(JobFormationRules.NoWorkerCanRunIt(job, available: 0));
    }

    [Fact]
    public void Only_a_recovering_job_gives_up_waiting_and_counts_from_its_activation_at_the_earliest()
    {
        var job = Recovering(Spec(worldSize: 2, minWorkers: 2), T0, Member("a", 0), Member("b", 1));
        job.FailureReason = "worker 'b' (rank 1) failed: disk full";
        var overdue = T0 + Policy.ReplacementTimeout + TimeSpan.FromSeconds(1);

        Assert.False(_rules.WaitedTooLong(job, T0 + Policy.ReplacementTimeout, countFrom: T0));
        Assert.True(_rules.WaitedTooLong(job, overdue, countFrom: T0));
        // A coordinator that restarted a minute ago waits the whole timeout again: it was away, not the workers.
        Assert.False(_rules.WaitedTooLong(job, overdue, countFrom: overdue - TimeSpan.FromMinutes(1)));
        var pending = Job(Spec(worldSize: 2), JobState.Pending);
        pending.WaitingSinceUtc = T0;
        Assert.False(_rules.WaitedTooLong(pending, overdue, countFrom: T0));

        Assert.Equal("no replacement workers within 600 s (Orchestrator:Jobs:ReplacementTimeout): the job had 2 workers, 1 free and live now, " +
                     "needs at least 2 (min_workers); start more workers or resubmit with a lower min_workers (last failure: worker 'b' (rank 1) failed: disk full)",
            _rules.GaveUpWaiting(job, available: 1));
    }

    [Fact]
    public void Growth_happens_only_at_rank_zeros_checkpoint_of_a_running_job_below_max_workers()
    {
        var a = Member("a", 0, ready: true);
        var b = Member("b", 1, ready: true);
        var job = Job(Spec(worldSize: 2, maxWorkers: 5), JobState.Running, a, b);
        job.ExcludedWorkers.Add("bad");

        var claim = JobFormationRules.ToGrow(job, a);

        Assert.NotNull(claim);
        Assert.Equal((1, 3, (DateTimeOffset?)null), (claim.Minimum, claim.Maximum, claim.HeardSince));
        Assert.Equal(["bad"], claim.Excluded);
        Assert.Null(JobFormationRules.ToGrow(job, b));
        Assert.Null(JobFormationRules.ToGrow(Job(Spec(worldSize: 2, maxWorkers: 5), JobState.Forming, a, b), a));
        Assert.Null(JobFormationRules.ToGrow(Job(Spec(worldSize: 2), JobState.Running, a, b), a));
    }

    [Fact]
    public void A_worker_at_fault_is_excluded_once_and_only_if_it_is_in_the_current_or_lost_formation()
    {
        var job = Job(Spec(worldSize: 2), JobState.Running, Member("a", 0), Member("b", 1));
        job.LostMembers = [Member("old", 2)];

        Assert.True(JobFormationRules.Excludes(job, "b", workerAtFault: true));
        Assert.True(JobFormationRules.Excludes(job, "old", workerAtFault: true));
        Assert.False(JobFormationRules.Excludes(job, "b", workerAtFault: false));
        Assert.False(JobFormationRules.Excludes(job, "stranger", workerAtFault: true));
        job.ExcludedWorkers.Add("b");
        Assert.False(JobFormationRules.Excludes(job, "b", workerAtFault: true));
    }

    [Fact]
    public void While_forming_a_member_at_fault_waits_until_every_member_answered_then_the_job_reforms_without_it()
    {
        var job = Job(Spec(worldSize: 3, minWorkers: 2), JobState.Forming, Member("a", 0), Member("b", 1), Member("c", 2));
        job.ExcludedWorkers.Add("c");

        Assert.True(JobFormationRules.AwaitsOtherAnswers(job, workerAtFault: true));
        Assert.False(JobFormationRules.AwaitsOtherAnswers(job, workerAtFault: false));
        Assert.Null(JobFormationRules.AtFaultOnceAllAnswered(job));

        job.Members[0] = job.Members[0] with { Ready = true };
        Assert.True(JobFormationRules.AwaitsOtherAnswers(job, workerAtFault: true));
        job.Members[1] = job.Members[1] with { Ready = true };

        Assert.False(JobFormationRules.AwaitsOtherAnswers(job, workerAtFault: true));
        Assert.Equal("c", JobFormationRules.AtFaultOnceAllAnswered(job)?.WorkerId);
    }

    [Fact]
    public void A_running_member_at_fault_does_not_wait_for_others()
    {
        var job = Job(Spec(worldSize: 2), JobState.Running, Member("a", 0, ready: true), Member("b", 1));

        Assert.False(JobFormationRules.AwaitsOtherAnswers(job, workerAtFault: true));
    }

    [Fact]
    public void A_formation_where_every_member_is_ready_has_no_member_at_fault()
    {
        var job = Job(Spec(worldSize: 2), JobState.Forming, Member("a", 0, ready: true), Member("b", 1, ready: true));

        Assert.Null(JobFormationRules.AtFaultOnceAllAnswered(job));
    }

    [Theory]
    [InlineData(0, 0, true, false)]
    [InlineData(1, 0, true, true)]
    [InlineData(1, 1, true, false)]
    [InlineData(2, 1, true, true)]
    [InlineData(1, 1, false, true)]
    [InlineData(0, 0, false, true)]
    public void A_failure_recovers_while_restarts_are_left_and_leaving_out_a_faulty_worker_uses_none(int maxRestarts, int used, bool usesRestart, bool recovers)
    {
        var job = Job(Spec(worldSize: 2, maxRestarts: maxRestarts), JobState.Running);
        job.RestartsUsed = used;

        Assert.Equal(recovers, JobFormationRules.Recovers(job, usesRestart));
    }

    [Fact]
    public void A_member_is_lost_when_it_unregistered_restarted_or_went_silent_past_the_liveness_timeout()
    {
        var member = Member("a", 1, incarnation: 2);
        var now = T0.AddMinutes(5);

        Assert.Null(_rules.WhyLost(member, Seen("a", now.AddSeconds(-30), incarnation: 2), now, countFrom: T0));
        Assert.Equal("worker 'a' (rank 1) unregistered", _rules.WhyLost(member, new WorkerStatus { WorkerId = "a" }, now, countFrom: T0));
        Assert.Equal("worker 'a' (rank 1) restarted (registration 2 -> 3)", _rules.WhyLost(member, Seen("a", now, incarnation: 3), now, countFrom: T0));
        Assert.Equal("worker 'a' (rank 1) not heard from for 31 s (liveness timeout 30 s; its host: host-a)",
            _rules.WhyLost(member, Seen("a", now.AddSeconds(-31), incarnation: 2), now, countFrom: T0));
        // Stored heartbeats are old after a coordinator restart: silence counts from the activation.
        Assert.Null(_rules.WhyLost(member, Seen("a", T0, incarnation: 2), now, countFrom: now.AddSeconds(-10)));
    }

    [Fact]
    public void A_forming_job_gives_up_on_members_that_did_not_confirm_ready_in_time()
    {
        var job = Job(Spec(worldSize: 3), JobState.Forming, Member("a", 0, ready: true), Member("b", 1), Member("c", 2));
        job.FormedUtc = T0;

        Assert.Null(_rules.NotReadyInTime(job, T0 + Policy.ReadyTimeout, countFrom: T0));
        Assert.Equal("workers 'b', 'c' did not confirm ready within 300 s", _rules.NotReadyInTime(job, T0 + Policy.ReadyTimeout + TimeSpan.FromSeconds(1), countFrom: T0));
        Assert.Null(_rules.NotReadyInTime(job, T0 + Policy.ReadyTimeout + TimeSpan.FromSeconds(1), countFrom: T0.AddMinutes(1)));
        job.State = JobState.Running;
        Assert.Null(_rules.NotReadyInTime(job, T0 + Policy.ReadyTimeout * 2, countFrom: T0));
    }
}
