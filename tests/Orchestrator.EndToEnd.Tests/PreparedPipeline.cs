using Orchestrator.EndToEnd.Tests.TestSupport;

namespace Orchestrator.EndToEnd.Tests;

/// <summary>A small char dataset and a one-step checkpoint trained on it, for the error tests to damage copies of.</summary>
public sealed class PreparedPipeline : IAsyncLifetime
{
    private readonly TempDirectory _temp = new();

    public string Corpus => _temp.Sub("corpus.txt");
    public string Data => _temp.Sub("data");
    public string Run => _temp.Sub("run");

    public async Task InitializeAsync()
    {
        await SmallCorpus.PrepareAsync(SmallCorpus.Write(Corpus), Data, "--tokenizer", "char");
        await OrchestratorCli.SucceedAsync(TinyGpt.Train(Data, Run, "--max-steps", "1", "--batch-size", "4", "--warmup-steps", "0",
            "--eval-interval", "0", "--eval-batches", "1", "--checkpoint-interval", "1"));
    }

    public Task DisposeAsync()
    {
        _temp.Dispose();
        return Task.CompletedTask;
    }
}
