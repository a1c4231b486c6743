using Orchestrator.EndToEnd.Tests.TestSupport;

namespace Orchestrator.EndToEnd.Tests.DataParallel;

/// <summary>
/// A distributed run ends when rank 0 has written the final checkpoint and reported completion, however long that
/// takes: the other ranks finishing their last step earlier must not fail the job.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class DistributedCompletionTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    [Fact]
    public async Task Two_workers_complete_and_keep_the_final_checkpoint_when_rank_zero_writes_a_large_one()
    {
        var data = await SmallCorpus.PrepareAsync(SmallCorpus.Write(_temp.Sub("corpus.txt"), 4_000), _temp.Sub("data"), "--tokenizer", "char");
        var run = _temp.Sub("run");
        // 12.6 M parameters: rank 0 spends a second or more writing and hashing ~150 MB of weights and moments after
        // the last step, while rank 1 has nothing left to do.
        var result = await OrchestratorCli.RunAsync([
            "train", "--data", data, "--out", run, "--workers", "2", "--batch-size", "1", "--max-steps", "1",
            "--n-layer", "4", "--n-head", "4", "--n-embd", "512", "--block-size", "16", "--threads", "1",
            "--warmup-steps", "0", "--eval-interval", "0", "--eval-batches", "1", "--dropout", "0",
        ], timeout: TimeSpan.FromMinutes(4));

        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.Contains("\"state\":\"Completed\"", result.LastStdoutLine);
        Assert.Equal("step-00000001", File.ReadAllText(TinyGpt.Latest(run)).Trim());
        Assert.True(File.Exists(Path.Combine(TinyGpt.LatestDirectory(run), "manifest.json")));
    }

    public void Dispose() => _temp.Dispose();
}
