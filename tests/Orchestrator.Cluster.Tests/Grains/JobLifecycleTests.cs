using Orchestrator.Cluster.Grains.Abstractions;
using Orchestrator.Cluster.Tests.Support;

namespace Orchestrator.Cluster.Tests.Grains;

[Collection(ClusterCollection.Name)]
public sealed class JobLifecycleTests(ClusterFixture fixture) : IAsyncLifetime
{
    private readonly JobScenario _scenario = new(fixture.Grains, "w");

    private IGrainFactory Grains => fixture.Grains;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _scenario.DisposeAsync().AsTask();

    [Fact]
    public async Task Submitted_job_forms_with_world_size_members_ranked_by_worker_id_and_ring_peers_in_rank_order()
    {
        var (c, a, b) = (await Worker("c", 7003), await Worker("a", 7001), await Worker("b", 7002));
        var spec = Spec(worldSize: 3) with { ConfigJson = """{"n_layer":4,"lr":0.001}""" };

        var status = await Grains.GetJob(spec.JobId).SubmitAsync(ValidJobSpec.From(spec));

        Assert.Equal(JobState.Forming, status.State);
        Assert.Equal(0, status.Attempt);
        Assert.Equal([a.Id, b.Id, c.Id], status.Members.Select(m => m.WorkerId));
        Assert.Equal([0, 1, 2], status.Members.Select(m => m.Rank));
        string[] ring = ["127.0.0.1:7001", "127.0.0.1:7002", "127.0.0.1:7003"];
        foreach (var (worker, rank) in new[] { (a, 0), (b, 1), (c, 2) })
        {
            var directive = await worker.Grain.GetAssignmentAsync();
            Assert.Equal(WorkerDirectiveKind.Prepare, directive.Kind);
            var assignment = directive.Assignment!;
            Assert.Equal(spec.JobId, assignment.JobId);
            Assert.Equal(rank, assignment.Rank);
            Assert.Equal(3, assignment.WorldSize);
            Assert.Equal(ring, assignment.PeerEndpoints);
            Assert.Equal([a.Id, b.Id, c.Id], assignment.PeerWorkerIds);
            Assert.Equal(spec.ConfigJson, assignment.ConfigJson);
            Assert.Equal(spec.DataDir, assignment.DataDir);
            Assert.Equal(spec.RunDir, assignment.RunDir);
            Assert.Null(assignment.ResumeFromCheckpoint);
            var seen = await worker.Grain.GetStatusAsync();
            Assert.Equal(spec.JobId, seen.JobId);
            Assert.Equal(rank, seen.Rank);
        }

        var registry = await Grains.GetWorkerRegistry().ListAsync();
        Assert.All(registry.Where(w => w.WorkerId.StartsWith(_scenario.Prefix, StringComparison.Ordinal)), w => Assert.Equal(spec.JobId, w.JobId));
    }

    [Fact]
    public async Task Job_moves_to_running_only_when_every_member_confirmed_ready()
    {
        var (a, b) = (await Worker("a", 7101), await Worker("b", 7102));
        var spec = Spec(worldSize: 2);
        var job = Grains.GetJob(spec.JobId);
        await job.SubmitAsync(ValidJobSpec.From(spec));

        Assert.Equal(JobState.Forming, await job.ConfirmReadyAsync(a.Id, attempt: 0));
        Assert.Equal(JobState.Forming, await job.ConfirmReadyAsync(a.Id, attempt: 0));
        Assert.Equal(JobState.Forming, await job.ConfirmReadyAsync(b.Id, attempt: 7));
        Assert.Equal(WorkerDirectiveKind.Prepare, (await a.Grain.GetAssignmentAsync()).Kind);

        Assert.Equal(JobState.Running, await job.ConfirmReadyAsync(b.Id, attempt: 0));

        Assert.Equal(WorkerDirectiveKind.Run, (await a.Grain.GetAssignmentAsync()).Kind);
        Assert.Equal(WorkerDirectiveKind.Run, (await b.Grain.GetAssignmentAsync()).Kind);
        var status = await job.GetStatusAsync();
        Assert.All(status.Members, m => Assert.True(m.Ready));
        Assert.Equal(
            [(null, JobState.Pending), (JobState.Pending, JobState.Forming), (JobState.Forming, JobState.Running)],
            status.History.Select(t => (t.From, t.To)));
    }

    [Fact]
    public async Task Progress_is_tracked_and_rank_zero_completion_completes_the_job_and_frees_the_workers()
    {
        var (a, b) = (await Worker("a", 7201), await Worker("b", 7202));
        var (spec, job) = await RunningJobAsync(0, a, b);

        await job.ReportProgressAsync(a.Id, new ProgressReport { Step = 10, Loss = 2.5, TokensPerSecond = 1000 });
        await job.ReportProgressAsync(b.Id, new ProgressReport { Step = 10, Loss = 2.7, TokensPerSecond = 900 });
        var running = await job.GetStatusAsync();
        Assert.Equal(10, running.Step);
        Assert.Equal(2.5, running.LastLoss);
        Assert.Equal(1900, running.TokensPerSecond);

        var notRankZero = await Assert.ThrowsAsync<WorkerProtocolException>(
            () => job.ReportCompletedAsync(b.Id, new ProgressReport { Step = 20, Loss = 2.0 }));
        Assert.Contains("rank 1", notRankZero.Message);

        Assert.Equal(JobState.Completed, await job.ReportCompletedAsync(a.Id, new ProgressReport { Step = 20, Loss = 1.9, TokensPerSecond = 1100 }));

        var done = await job.GetStatusAsync();
        Assert.Equal(20, done.Step);
        Assert.Equal(1.9, done.LastLoss);
        foreach (var worker in new[] { a, b })
        {
            var directive = await worker.Grain.GetAssignmentAsync();
            Assert.Equal(WorkerDirectiveKind.Stop, directive.Kind);
            Assert.Equal(spec.JobId, directive.JobId);
        }

        var registry = await Grains.GetWorkerRegistry().ListAsync();
        Assert.All(registry.Where(w => w.WorkerId.StartsWith(_scenario.Prefix, StringComparison.Ordinal)), w => Assert.True(w.IsFree));

        // Freed workers are claimable again.
        var next = Spec(worldSize: 2);
        Assert.Equal(JobState.Forming, (await Grains.GetJob(next.JobId).SubmitAsync(ValidJobSpec.From(next))).State);
    }

    [Fact]
    public async Task Member_failure_fails_the_job_with_its_reason_and_stops_the_others()
    {
        var (a, b, c) = (await Worker("a", 7301), await Worker("b", 7302), await Worker("c", 7303));
        var (spec, job) = await RunningJobAsync(0, a, b, c);

        Assert.Equal(JobState.Failed, await job.ReportFailureAsync(b.Id, 0, "CUDA out of memory"));

        var status = await job.GetStatusAsync();
        Assert.Contains("CUDA out of memory", status.FailureReason);
        Assert.Contains($"'{b.Id}' (rank 1)", status.FailureReason);
        foreach (var worker in new[] { a, b, c })
        {
            Assert.Equal(WorkerDirectiveKind.Stop, (await worker.Grain.GetAssignmentAsync()).Kind);
        }

        Assert.Equal("CUDA out of memory", (await b.Grain.GetStatusAsync()).LastError);
        Assert.Null((await a.Grain.GetStatusAsync()).LastError);
        // A late report from another rank changes nothing.
        Assert.Equal(JobState.Failed, await job.ReportFailureAsync(c.Id, 0, "ring broken"));
        Assert.Equal(status.Version, (await job.GetStatusAsync()).Version);
    }

    [Fact]
    public async Task Cancel_stops_the_workers_and_a_finished_job_cannot_be_cancelled_again()
    {
        var (a, b) = (await Worker("a", 7401), await Worker("b", 7402));
        var (spec, job) = await RunningJobAsync(0, a, b);

        var cancelled = await job.CancelAsync("wrong learning rate");

        Assert.Equal(JobState.Cancelled, cancelled.State);
        Assert.Equal("cancelled: wrong learning rate", cancelled.History[^1].Reason);
        var stop = await a.Grain.GetAssignmentAsync();
        Assert.Equal((WorkerDirectiveKind.Stop, spec.JobId), (stop.Kind, stop.JobId));
        Assert.Contains("wrong learning rate", stop.Reason);
        await Assert.ThrowsAsync<IllegalJobTransitionException>(() => job.CancelAsync("again"));
        Assert.Equal(JobState.Cancelled, await job.ReportProgressAsync(a.Id, new ProgressReport { Step = 5, Loss = 1 }));
    }

    [Fact]
    public async Task Job_waits_in_pending_until_enough_live_workers_are_free()
    {
        var a = await Worker("a", 7501);
        var spec = Spec(worldSize: 2);
        var job = Grains.GetJob(spec.JobId);

        Assert.Equal(JobState.Pending, (await job.SubmitAsync(ValidJobSpec.From(spec))).State);
        Assert.True((await a.Grain.GetStatusAsync()).JobId is null);

        var b = await Worker("b", 7502);
        var formed = await Eventually.MatchesAsync(job.GetStatusAsync, s => s.State == JobState.Forming, TimeSpan.FromSeconds(10), "job to form");
        Assert.Equal([a.Id, b.Id], formed.Members.Select(m => m.WorkerId));
    }

    [Fact]
    public async Task Elastic_job_forms_with_its_minimum_when_fewer_workers_than_its_world_size_are_free()
    {
        var (a, b) = (await Worker("a", 7551), await Worker("b", 7552));
        var spec = Spec(worldSize: 4) with { MinWorkers = 2, MaxWorkers = 4 };

        var status = await Grains.GetJob(spec.JobId).SubmitAsync(ValidJobSpec.From(spec));

        Assert.Equal(JobState.Forming, status.State);
        Assert.Equal(2, status.Members.Count);
        Assert.Equal(2, (await b.Grain.GetAssignmentAsync()).Assignment!.WorldSize);
    }

    [Fact]
    public async Task Failure_before_the_first_checkpoint_reforms_from_the_start_instead_of_resuming_nothing()
    {
        var (a, b) = (await Worker("a", 7611), await Worker("b", 7612));
        var (spec, job) = await RunningJobAsync(1, a, b);

        Assert.Equal(JobState.Recovering, await job.ReportFailureAsync(b.Id, 0, "peer reset"));

        var assignment = (await a.WaitForAsync(WorkerDirectiveKind.Prepare, spec.JobId, attempt: 1)).Assignment!;
        Assert.Null(assignment.ResumeFromCheckpoint);
        Assert.False(assignment.Resume);
        Assert.Equal(1, assignment.Restarts);
    }

    [Fact]
    public async Task Failure_with_restarts_left_reforms_from_the_latest_checkpoint_with_a_new_attempt()
    {
        var (a, b) = (await Worker("a", 7601), await Worker("b", 7602));
        var (spec, job) = await RunningJobAsync(1, a, b);
        var checkpoint = new CheckpointRecord { Step = 50, Path = "/runs/x/step-50", Sha256 = new string('c', 64), ValLoss = 1.5 };
        Assert.Empty(await job.ReportCheckpointAsync(a.Id, checkpoint));

        Assert.Equal(JobState.Recovering, await job.ReportFailureAsync(b.Id, 0, "NCCL timeout"));

        // Both members are alive and check in again after the failure, so the job re-forms with both.
        var status = await Eventually.MatchesAsync(job.GetStatusAsync, s => s.State == JobState.Forming,
            TimeSpan.FromSeconds(10), "job to re-form once its members checked in");
        Assert.Equal(1, status.Attempt);
        Assert.Equal(
            [JobState.Pending, JobState.Forming, JobState.Running, JobState.Recovering, JobState.Forming],
            status.History.Select(t => t.To));
        var assignment = (await a.WaitForAsync(WorkerDirectiveKind.Prepare, spec.JobId, attempt: 1)).Assignment!;
        Assert.Equal("/runs/x/step-50", assignment.ResumeFromCheckpoint);
        Assert.True(assignment.Resume);
        Assert.Equal(1, assignment.Restarts);
        Assert.Equal(JobState.Forming, await job.ConfirmReadyAsync(a.Id, attempt: 0));
        await job.ConfirmReadyAsync(a.Id, attempt: 1);
        Assert.Equal(JobState.Running, await job.ConfirmReadyAsync(b.Id, attempt: 1));

        // The restart budget is spent: the next failure is final.
        Assert.Equal(JobState.Failed, await job.ReportFailureAsync(a.Id, 1, "disk full"));
    }

    [Fact]
    public async Task Member_that_stops_heartbeating_fails_the_job_after_the_liveness_timeout()
    {
        var (a, b) = (await Worker("a", 7701), await Worker("b", 7702));
        var (_, job) = await RunningJobAsync(0, a, b);

        await b.StopHeartbeatsAsync();

        var failed = await Eventually.MatchesAsync(job.GetStatusAsync, s => s.State == JobState.Failed,
            ClusterFixture.LivenessTimeout * 4, "job to fail after the silent worker");
        Assert.Contains($"'{b.Id}' (rank 1) not heard from", failed.FailureReason);
        Assert.Equal(WorkerDirectiveKind.Stop, (await a.Grain.GetAssignmentAsync()).Kind);
    }

    [Fact]
    public async Task Worker_process_that_restarts_mid_job_fails_the_job()
    {
        var (a, b) = (await Worker("a", 7801), await Worker("b", 7802));
        var (_, job) = await RunningJobAsync(0, a, b);

        await a.Grain.RegisterAsync(new WorkerInfo { Host = "test-host", GrpcEndpoint = a.Endpoint, Pid = 99 });

        var failed = await Eventually.MatchesAsync(job.GetStatusAsync, s => s.State == JobState.Failed, TimeSpan.FromSeconds(10), "job to fail");
        Assert.Contains($"'{a.Id}' (rank 0) restarted", failed.FailureReason);
    }

    [Fact]
    public async Task Members_that_never_confirm_fail_the_job_after_the_ready_timeout()
    {
        var (a, b) = (await Worker("a", 7901), await Worker("b", 7902));
        var spec = Spec(worldSize: 2);
        var job = Grains.GetJob(spec.JobId);
        await job.SubmitAsync(ValidJobSpec.From(spec));
        await job.ConfirmReadyAsync(a.Id, 0);

        var failed = await Eventually.MatchesAsync(job.GetStatusAsync, s => s.State == JobState.Failed,
            ClusterFixture.ReadyTimeout * 4, "job to give up forming");
        Assert.Contains($"workers '{b.Id}' did not confirm ready", failed.FailureReason);
    }

    [Fact]
    public async Task Resubmitting_a_job_id_unknown_ids_and_bad_specs_are_refused_with_specific_errors()
    {
        var spec = Spec(worldSize: 1);
        var job = Grains.GetJob(spec.JobId);
        await job.SubmitAsync(ValidJobSpec.From(spec));

        var again = await Assert.ThrowsAsync<JobAlreadyExistsException>(() => job.SubmitAsync(ValidJobSpec.From(spec)));
        Assert.Contains($"'{spec.JobId}'", again.Message);
        var missing = await Assert.ThrowsAsync<JobNotFoundException>(() => Grains.GetJob("never-submitted").GetStatusAsync());
        Assert.Contains("'never-submitted'", missing.Message);
        var bad = Spec(worldSize: 2) with { MinWorkers = 3 };
        // A bad spec never reaches a grain: the grain takes only a checked one, and one sent to another job's grain is refused.
        var invalid = Assert.Throws<InvalidJobSpecException>(() => ValidJobSpec.From(bad));
        Assert.Equal(nameof(JobSpec.MinWorkers), invalid.Field);
        var misrouted = await Assert.ThrowsAsync<InvalidJobSpecException>(() => Grains.GetJob(bad.JobId).SubmitAsync(ValidJobSpec.From(Spec(worldSize: 1))));
        Assert.Equal(nameof(JobSpec.JobId), misrouted.Field);
        await Assert.ThrowsAsync<JobNotFoundException>(() => Grains.GetJob(bad.JobId).GetStatusAsync());
        Assert.Contains(spec.JobId, await Grains.GetJobRegistry().ListAsync());
        await job.CancelAsync("test over");
    }

    [Fact]
    public async Task Worker_must_register_before_polling()
    {
        var error = await Assert.ThrowsAsync<WorkerProtocolException>(() => Grains.GetWorker($"{_scenario.Prefix}-ghost").HeartbeatAsync(0));
        Assert.Contains("RegisterAsync", error.Message);
        var badInfo = await Assert.ThrowsAsync<WorkerProtocolException>(
            () => Grains.GetWorker($"{_scenario.Prefix}-bad").RegisterAsync(new WorkerInfo { GrpcEndpoint = "no-port" }));
        Assert.Contains("'no-port'", badInfo.Message);
    }

    private Task<(JobSpec Spec, ITrainingJobGrain Job)> RunningJobAsync(int maxRestarts, params TestWorker[] members) =>
        _scenario.RunningJobAsync(Spec(members.Length) with { MaxRestarts = maxRestarts }, members);

    private Task<TestWorker> Worker(string name, int port) => _scenario.WorkerAsync(name, port);

    private static JobSpec Spec(int worldSize) => JobScenario.Spec(worldSize);
}
