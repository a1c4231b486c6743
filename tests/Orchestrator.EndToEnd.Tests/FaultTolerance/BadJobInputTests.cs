using Orchestrator.Cluster.Grains.Abstractions;
using Orchestrator.EndToEnd.Tests.TestSupport;

namespace Orchestrator.EndToEnd.Tests.FaultTolerance;

/// <summary>
/// Bad input reaches the workers of a running cluster: each worker that cannot run the job is left out of it; when
/// none can, the job fails with an error naming the problem, and the cluster (coordinator and workers) goes on to run
/// the next job with the same workers.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class BadJobInputTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);
    private readonly TempDirectory _temp = new();

    [Fact]
    public async Task A_job_whose_data_directory_is_missing_on_the_workers_fails_naming_it_and_the_cluster_runs_the_next_job()
    {
        var data = await SmallCorpus.PrepareAsync(SmallCorpus.Write(_temp.Sub("corpus.txt")), _temp.Sub("data"), "--tokenizer", "char");
        using var cluster = new LocalCluster(_temp.Sub("cluster"), TimeSpan.FromSeconds(4));
        for (var i = 0; i < 2; i++) cluster.AddWorker($"w{i}");
        var missing = _temp.Sub("no-such-data");

        // The vocabulary size is given because `submit` cannot read it from a directory it does not see either.
        var job = FaultyRun.Job("lost-data", missing, _temp.Sub("run-lost"), workers: 2, maxSteps: 20, maxRestarts: 1);
        await cluster.SubmitAsync(WithVocabulary(job, 65));
        var failed = await cluster.WaitForAsync("lost-data", s => s.IsTerminal, Patience, "the job to end");

        Assert.Equal(JobState.Failed, failed.State);
        Assert.Contains(missing, failed.FailureReason);
        Assert.Contains("no worker can run this job", failed.FailureReason);
        // Each member checks its inputs while forming, so both are left out at once, whichever answered first.
        Assert.Contains("'w0'", failed.FailureReason);
        Assert.Contains("'w1'", failed.FailureReason);
        Assert.True(failed.UpdatedUtc - failed.SubmittedUtc < LocalCluster.ReplacementTimeout, "failed only after the replacement timeout");
        Assert.Contains("cannot run this job and is left out", cluster.Coordinator.Log);
        Assert.False(cluster.Coordinator.HasExited, cluster.Describe());
        Assert.All(cluster.Workers, w => Assert.False(w.HasExited, cluster.Describe()));

        await cluster.SubmitAsync(FaultyRun.Job("good", data, _temp.Sub("run-good"), workers: 2, maxSteps: 20));
        await cluster.WaitForCompletionAsync("good", Patience);
    }

    private static Dictionary<string, object?> WithVocabulary(object job, int vocabSize)
    {
        var json = System.Text.Json.JsonSerializer.SerializeToNode(job)!.AsObject();
        json["config"]!["model"]!["vocab_size"] = vocabSize;
        return json.ToDictionary(p => p.Key, p => (object?)p.Value?.DeepClone());
    }

    public void Dispose() => _temp.Dispose();
}
