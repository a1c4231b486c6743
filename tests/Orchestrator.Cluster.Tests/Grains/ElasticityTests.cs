using Orchestrator.Cluster.Grains.Abstractions;
using Orchestrator.Cluster.Tests.Support;

namespace Orchestrator.Cluster.Tests.Grains;

/// <summary>Jobs whose membership changes without a person: waiting for replacements, giving up, and admitting newcomers at a checkpoint.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ElasticityTests(ClusterFixture fixture) : IAsyncLifetime
{
    private readonly JobScenario _scenario = new(fixture.Grains, "e");

    private IGrainFactory Grains => fixture.Grains;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _scenario.DisposeAsync().AsTask();

    [Fact]
    public async Task Pending_job_shows_how_many_workers_it_waits_for_and_clears_the_reason_once_formed()
    {
        await Worker("a", 8001);
        var spec = Spec(worldSize: 2);
        var job = Grains.GetJob(spec.JobId);

        var pending = await job.SubmitAsync(ValidJobSpec.From(spec));

        Assert.Equal(JobState.Pending, pending.State);
        Assert.Matches(@"^waiting for workers: 1 free and live, needs at least 2, since \d\d:\d\d:\d\d UTC$", pending.WaitingReason);
        Assert.Contains($"{pending.SubmittedUtc.UtcDateTime:HH:mm:ss} UTC", pending.WaitingReason);

        await Worker("b", 8002);
        var formed = await Eventually.MatchesAsync(job.GetStatusAsync, s => s.State == JobState.Forming, TimeSpan.FromSeconds(10), "job to form");
        Assert.Null(formed.WaitingReason);
    }

    [Fact]
    public async Task Recovering_job_without_enough_replacements_waits_with_a_reason_then_fails_naming_what_it_had_and_needed()
    {
        var (a, b) = (await Worker("a", 8101), await Worker("b", 8102));
        var (_, job) = await RunningJobAsync(Spec(worldSize: 2) with { MaxRestarts = 3 }, a, b);

        await b.StopHeartbeatsAsync();

        var waiting = await Eventually.MatchesAsync(job.GetStatusAsync,
            s => s.State == JobState.Recovering && s.WaitingReason?.StartsWith("waiting for workers:", StringComparison.Ordinal) == true,
            ClusterFixture.LivenessTimeout * 4, "job to wait for a replacement");
        Assert.StartsWith("waiting for workers: 1 free and live, needs at least 2, since ", waiting.WaitingReason);
        Assert.Contains($"'{b.Id}' (rank 1) not heard from", waiting.FailureReason);

        var failed = await Eventually.MatchesAsync(job.GetStatusAsync, s => s.State == JobState.Failed,
            ClusterFixture.ReplacementTimeout * 4, "job to give up waiting");
        Assert.Contains($"no replacement workers within {ClusterFixture.ReplacementTimeout.TotalSeconds:F0} s", failed.FailureReason);
        Assert.Contains("the job had 2 workers, 1 free and live now, needs at least 2 (min_workers)", failed.FailureReason);
        Assert.Null(failed.WaitingReason);
        Assert.Equal([JobState.Running, JobState.Recovering, JobState.Failed], failed.History.TakeLast(3).Select(t => t.To));
        Assert.True((await Grains.GetWorkerRegistry().ListAsync()).Single(w => w.WorkerId == a.Id).IsFree);
    }

    [Fact]
    public async Task Recovery_leaves_out_a_member_that_died_moments_ago_and_names_it_even_before_its_liveness_timeout()
    {
        var (a, b, c) = (await Worker("a", 8601), await Worker("b", 8602), await Worker("c", 8603));
        var (_, job) = await RunningJobAsync(Spec(worldSize: 3) with { MinWorkers = 2, MaxRestarts = 1 }, a, b, c);

        // c dies; b notices first (its all-reduce with c broke) and reports, long before c's liveness timeout.
        await c.StopHeartbeatsAsync();
        var failedAt = DateTimeOffset.UtcNow;
        Assert.Equal(JobState.Recovering, await job.ReportFailureAsync(b.Id, 0, "receiving from rank 2 failed"));

        var reformed = await Eventually.MatchesAsync(job.GetStatusAsync, s => s.State == JobState.Forming,
            ClusterFixture.RecoveryGrace + TimeSpan.FromSeconds(5), "job to re-form without c");
        Assert.True(DateTimeOffset.UtcNow - failedAt < ClusterFixture.LivenessTimeout, "re-formed only after c's liveness timeout");
        Assert.Equal([a.Id, b.Id], reformed.Members.Select(m => m.WorkerId));
        Assert.Contains($"left out '{c.Id}' (rank 2), not heard from since the failure", reformed.History[^1].Reason);
    }

    [Fact]
    public async Task A_failure_reported_for_an_earlier_attempt_does_not_break_the_formation_that_replaced_it()
    {
        var (a, b) = (await Worker("a", 8501), await Worker("b", 8502));
        var (_, job) = await RunningJobAsync(Spec(worldSize: 2) with { MaxRestarts = 2 }, a, b);
        Assert.Equal(JobState.Recovering, await job.ReportFailureAsync(a.Id, 0, "receiving from rank 1 failed"));
        await Eventually.MatchesAsync(job.GetStatusAsync, s => s.State == JobState.Forming, TimeSpan.FromSeconds(10), "job to re-form");

        // b was slow to leave attempt 0 and only now sees its ring break: that is not a failure of attempt 1.
        Assert.Equal(JobState.Forming, await job.ReportFailureAsync(b.Id, 0, "sending to rank 0 failed"));
        var status = await job.GetStatusAsync();
        Assert.Equal(1, status.Attempt);
        Assert.Single(status.History, t => t.To == JobState.Recovering);
    }

    [Fact]
    public async Task A_worker_that_cannot_run_the_job_is_left_out_for_good_and_the_job_goes_on_without_using_a_restart()
    {
        var (a, b, c) = (await Worker("a", 8701), await Worker("b", 8702), await Worker("c", 8703));
        var (_, job) = await RunningJobAsync(Spec(worldSize: 3) with { MinWorkers = 2, MaxRestarts = 0 }, a, b, c);

        Assert.Equal(JobState.Recovering,
            await job.ReportFailureAsync(c.Id, 0, "dataset directory '/data/tiny' does not exist", workerAtFault: true));

        var reformed = await Eventually.MatchesAsync(job.GetStatusAsync, s => s.State == JobState.Forming, TimeSpan.FromSeconds(10), "job to re-form");
        Assert.Equal([a.Id, b.Id], reformed.Members.Select(m => m.WorkerId));
        Assert.True((await Grains.GetWorkerRegistry().ListAsync()).Single(w => w.WorkerId == c.Id).IsFree, "c is free but must not be claimed");
        foreach (var worker in new[] { a, b })
        {
            await job.ConfirmReadyAsync(worker.Id, attempt: 1);
        }

        // Still no growth back to 3 at a checkpoint: c stays out of this job.
        await job.ReportCheckpointAsync(a.Id, Checkpoint(10));
        var running = await job.GetStatusAsync();
        Assert.Equal(JobState.Running, running.State);
        Assert.Equal(2, running.Members.Count);
        // max_restarts 0 and no restart was used for c: a real failure now is final.
        Assert.Equal(JobState.Failed, await job.ReportFailureAsync(b.Id, 1, "disk full"));
    }

    [Fact]
    public async Task While_forming_a_member_that_cannot_run_the_job_waits_for_the_others_then_the_job_reforms_without_it()
    {
        var (a, b, c) = (await Worker("a", 8711), await Worker("b", 8712), await Worker("c", 8713));
        var spec = Spec(worldSize: 3) with { MinWorkers = 2, MaxRestarts = 0 };
        var job = Grains.GetJob(spec.JobId);
        _scenario.Track(job);
        Assert.Equal(JobState.Forming, (await job.SubmitAsync(ValidJobSpec.From(spec))).State);

        // c answers first; a and b have not checked their inputs yet, so nobody is released before they can answer.
        Assert.Equal(JobState.Forming, await job.ReportFailureAsync(c.Id, 0, "dataset directory '/data/tiny' does not exist", workerAtFault: true));
        Assert.Equal(JobState.Forming, await job.ConfirmReadyAsync(a.Id, attempt: 0));
        Assert.Equal(0, (await job.GetStatusAsync()).Attempt);
        await job.ConfirmReadyAsync(b.Id, attempt: 0);

        var reformed = await Eventually.MatchesAsync(job.GetStatusAsync, s => s.State == JobState.Forming && s.Attempt == 1, TimeSpan.FromSeconds(10), "job to re-form without c");
        Assert.Equal([a.Id, b.Id], reformed.Members.Select(m => m.WorkerId));
        Assert.Contains(reformed.History, t => t.To == JobState.Recovering && t.Reason.Contains("'/data/tiny' does not exist"));
    }

    [Fact]
    public async Task While_forming_every_member_that_cannot_run_the_job_is_named_and_the_job_fails_without_waiting_for_replacements()
    {
        var (a, b) = (await Worker("a", 8721), await Worker("b", 8722));
        var spec = Spec(worldSize: 2) with { MaxRestarts = 1 };
        var job = Grains.GetJob(spec.JobId);
        _scenario.Track(job);
        await job.SubmitAsync(ValidJobSpec.From(spec));

        Assert.Equal(JobState.Forming, await job.ReportFailureAsync(b.Id, 0, "dataset directory '/data/tiny' does not exist", workerAtFault: true));
        await job.ReportFailureAsync(a.Id, 0, "dataset directory '/data/tiny' does not exist", workerAtFault: true);

        var failed = await Eventually.MatchesAsync(job.GetStatusAsync, s => s.IsTerminal, TimeSpan.FromSeconds(10), "job to fail");
        Assert.Equal(JobState.Failed, failed.State);
        Assert.StartsWith($"no worker can run this job: '{b.Id}', '{a.Id}' each reported a fault", failed.FailureReason);
        Assert.Contains("'/data/tiny' does not exist", failed.FailureReason);
    }

    [Fact]
    public async Task Recovering_job_reforms_when_a_replacement_registers_within_the_timeout()
    {
        var (a, b) = (await Worker("a", 8201), await Worker("b", 8202));
        var (spec, job) = await RunningJobAsync(Spec(worldSize: 2) with { MaxRestarts = 1 }, a, b);
        await job.ReportCheckpointAsync(a.Id, Checkpoint(20));
        await b.StopHeartbeatsAsync();
        await Eventually.MatchesAsync(job.GetStatusAsync, s => s.State == JobState.Recovering, ClusterFixture.LivenessTimeout * 4, "job to recover");

        var c = await Worker("c", 8203);

        var reformed = await Eventually.MatchesAsync(job.GetStatusAsync, s => s.State == JobState.Forming, TimeSpan.FromSeconds(10), "job to re-form");
        Assert.Equal([a.Id, c.Id], reformed.Members.Select(m => m.WorkerId));
        Assert.Equal(1, reformed.Attempt);
        Assert.Null(reformed.WaitingReason);
        Assert.Equal("/runs/tiny/step-20", (await c.WaitForAsync(WorkerDirectiveKind.Prepare, spec.JobId, attempt: 1)).Assignment!.ResumeFromCheckpoint);
    }

    [Fact]
    public async Task Worker_registering_mid_run_is_admitted_at_the_next_checkpoint_without_using_a_restart()
    {
        var (a, b) = (await Worker("a", 8301), await Worker("b", 8302));
        var spec = Spec(worldSize: 2) with { MaxWorkers = 3, MaxRestarts = 0 };
        var (_, job) = await RunningJobAsync(spec, a, b);
        var c = await Worker("c", 8303);
        await Task.Delay(500);
        Assert.Equal(JobState.Running, (await job.GetStatusAsync()).State);

        // Rank 1 reporting a checkpoint is not a boundary the job acts on; rank 0's is.
        await job.ReportCheckpointAsync(b.Id, Checkpoint(30));
        Assert.Equal(JobState.Running, (await job.GetStatusAsync()).State);
        await job.ReportCheckpointAsync(a.Id, Checkpoint(40));

        var grown = await job.GetStatusAsync();
        Assert.Equal(JobState.Forming, grown.State);
        Assert.Equal(1, grown.Attempt);
        Assert.Equal([a.Id, b.Id, c.Id], grown.Members.Select(m => m.WorkerId));
        Assert.Equal([0, 1, 2], grown.Members.Select(m => m.Rank));
        Assert.Equal($"attempt 1: admitting {c.Id} at checkpoint step 40 (world size 2 -> 3)", grown.History[^1].Reason);
        Assert.Equal(JobState.Running, grown.History[^1].From);
        foreach (var (worker, rank) in new[] { (a, 0), (b, 1), (c, 2) })
        {
            var assignment = (await worker.WaitForAsync(WorkerDirectiveKind.Prepare, spec.JobId, attempt: 1)).Assignment!;
            Assert.Equal((rank, 3, 2), (assignment.Rank, assignment.WorldSize, assignment.JobWorldSize));
            Assert.Equal("/runs/tiny/step-40", assignment.ResumeFromCheckpoint);
            Assert.True(assignment.Resume);
            Assert.Equal(["127.0.0.1:8301", "127.0.0.1:8302", "127.0.0.1:8303"], assignment.PeerEndpoints);
        }

        foreach (var worker in new[] { a, b, c })
        {
            await job.ConfirmReadyAsync(worker.Id, attempt: 1);
        }

        Assert.Equal(JobState.Running, (await job.GetStatusAsync()).State);
        // Growth used no restart: with max_restarts 0 a failure now is final, but one recovery was never spent.
        Assert.Equal(JobState.Failed, await job.ReportFailureAsync(c.Id, 1, "disk full"));
        Assert.DoesNotContain((await job.GetStatusAsync()).History, t => t.To == JobState.Recovering);
    }

    [Fact]
    public async Task Job_at_its_max_workers_does_not_grow_and_free_workers_stay_free()
    {
        var (a, b) = (await Worker("a", 8401), await Worker("b", 8402));
        var (_, job) = await RunningJobAsync(Spec(worldSize: 2), a, b);
        var c = await Worker("c", 8403);

        await job.ReportCheckpointAsync(a.Id, Checkpoint(10));

        var status = await job.GetStatusAsync();
        Assert.Equal((JobState.Running, 0, 2), (status.State, status.Attempt, status.Members.Count));
        Assert.True((await Grains.GetWorkerRegistry().ListAsync()).Single(w => w.WorkerId == c.Id).IsFree);
    }

    private static CheckpointRecord Checkpoint(long step) =>
        new() { Step = step, Path = $"/runs/tiny/step-{step}", Sha256 = new string('a', 64) };

    private Task<(JobSpec Spec, ITrainingJobGrain Job)> RunningJobAsync(JobSpec spec, params TestWorker[] members) =>
        _scenario.RunningJobAsync(spec, members);

    private Task<TestWorker> Worker(string name, int port) => _scenario.WorkerAsync(name, port);

    private static JobSpec Spec(int worldSize) => JobScenario.Spec(worldSize);
}
