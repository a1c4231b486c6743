using Orchestrator.Cluster.Grains.Abstractions;
using Orchestrator.EndToEnd.Tests.TestSupport;
using Xunit.Abstractions;

namespace Orchestrator.EndToEnd.Tests.FaultTolerance;

/// <summary>
/// Worker death with real processes and real signals: a SIGKILLed worker and a SIGSTOPped (hung, not dead) one are
/// both detected, the job recovers from its latest checkpoint on the survivors and finishes close to an unfaulted run.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class WorkerDeathTests(ITestOutputHelper output) : IDisposable
{
    private const int Steps = 80;
    private static readonly TimeSpan Liveness = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(4);
    private readonly TempDirectory _temp = new();

    [Fact]
    public async Task A_job_survives_kill_9_of_one_of_three_workers_at_a_random_step_and_ends_within_2_percent_of_an_unfaulted_run()
    {
        var data = await SmallCorpus.PrepareAsync(SmallCorpus.Write(_temp.Sub("corpus.txt")), _temp.Sub("data"), "--tokenizer", "char");
        using var cluster = new LocalCluster(_temp.Sub("cluster"), Liveness);
        for (var i = 0; i < 6; i++) cluster.AddWorker($"w{i}");
        string reference = _temp.Sub("reference"), faulted = _temp.Sub("faulted");
        await cluster.SubmitAsync(FaultyRun.Job("reference", data, reference, workers: 3, Steps));
        await cluster.SubmitAsync(FaultyRun.Job("faulted", data, faulted, workers: 3, Steps, minWorkers: 2));

        var killAt = Random.Shared.Next(FaultyRun.CheckpointInterval + 1, Steps - FaultyRun.CheckpointInterval);
        var running = await cluster.WaitForAsync("faulted", s => s.State == JobState.Running && s.Step >= killAt, Patience, $"step {killAt}");
        var victim = running.Members[Random.Shared.Next(running.Members.Count)];
        output.WriteLine($"kill -9 {victim.WorkerId} (rank {victim.Rank}) at step {running.Step}");
        // The checkpoints on disk by the kill: what the survivors' logs say up to now, and all the victim's say.
        var written = cluster.Workers.Where(w => w.Name != victim.WorkerId).Select(w => FaultyRun.NewestWritten(w.Log, faulted)).DefaultIfEmpty(0).Max();
        var killed = cluster.Workers.Single(w => w.Name == victim.WorkerId);
        killed.KillHard();

        var done = await cluster.WaitForCompletionAsync("faulted", Patience);
        await cluster.WaitForCompletionAsync("reference", Patience);

        // One recovery; the re-formation names the dead worker (its peers noticed first, before its liveness timeout).
        Assert.Single(done.History, t => t.To == JobState.Recovering);
        var reformed = done.History.SkipWhile(t => t.To != JobState.Recovering).First(t => t.To == JobState.Forming);
        Assert.Contains($"left out '{victim.WorkerId}' (rank {victim.Rank}), not heard from since the failure", reformed.Reason);
        Assert.Contains($"worker '{victim.WorkerId}'", cluster.Coordinator.Log);
        Assert.Contains("recovering from the latest checkpoint", cluster.Coordinator.Log);
        Assert.DoesNotContain(done.Members, m => m.WorkerId == victim.WorkerId);

        // No finished checkpoint is lost: the recovery goes back no further than the newest one written before the kill.
        var rows = MetricsRow.Read(faulted);
        written = Math.Max(written, FaultyRun.NewestWritten(killed.Log, faulted));
        var resumed = FaultyRun.ResumedAfter(rows, restartsBefore: 0);
        var (faultedLoss, referenceLoss) = (FaultyRun.FinalValidationLoss(faulted), FaultyRun.FinalValidationLoss(reference));
        output.WriteLine($"resumed from step {resumed} (step {written} written by the kill), steps lost {FaultyRun.StepsLost(rows)}; final val loss {faultedLoss:F4} vs unfaulted {referenceLoss:F4}");
        Assert.True(resumed >= written, $"resumed from step {resumed}, older than step {written} written before the kill; {FaultyRun.DescribeRestarts(rows)}\n{cluster.Describe()}");
        Assert.InRange(faultedLoss / referenceLoss, 0.98, 1.02);
    }

    [Fact]
    public async Task A_worker_that_stops_responding_without_dying_is_detected_by_timeout_and_the_job_goes_on_without_it()
    {
        var data = await SmallCorpus.PrepareAsync(SmallCorpus.Write(_temp.Sub("corpus.txt")), _temp.Sub("data"), "--tokenizer", "char");
        using var cluster = new LocalCluster(_temp.Sub("cluster"), Liveness);
        for (var i = 0; i < 3; i++) cluster.AddWorker($"w{i}");
        var run = _temp.Sub("run");
        await cluster.SubmitAsync(FaultyRun.Job("hung", data, run, workers: 3, Steps, minWorkers: 2));

        var running = await cluster.WaitForAsync("hung", s => s.State == JobState.Running && s.Step >= 15, Patience, "step 15");
        var victim = running.Members.Single(m => m.Rank == 1);
        var frozenAt = DateTimeOffset.UtcNow;
        cluster.Workers.Single(w => w.Name == victim.WorkerId).Freeze();
        output.WriteLine($"SIGSTOP {victim.WorkerId} at step {running.Step}");

        var recovering = await cluster.WaitForAsync("hung", s => s.History.Any(t => t.To == JobState.Recovering), Patience, "recovery");
        var detected = recovering.History.First(t => t.To == JobState.Recovering);
        output.WriteLine($"detected after {(detected.AtUtc - frozenAt).TotalSeconds:F1} s: {detected.Reason}");
        Assert.Contains(victim.WorkerId, detected.Reason);
        Assert.InRange(detected.AtUtc - frozenAt, TimeSpan.Zero, Liveness + TimeSpan.FromSeconds(10));

        var done = await cluster.WaitForCompletionAsync("hung", Patience);
        Assert.Equal(2, done.Members.Count);
        var rows = MetricsRow.Read(run);
        Assert.True(FaultyRun.StepsLost(rows) <= FaultyRun.CheckpointInterval, FaultyRun.DescribeRestarts(rows) + "\n" + cluster.Describe());
    }

    public void Dispose() => _temp.Dispose();
}
