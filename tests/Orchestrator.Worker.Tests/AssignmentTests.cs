using System.Text;
using Orchestrator.Cluster.Grains.Abstractions;
using Orchestrator.Data;
using Orchestrator.Data.Tokenizers;
using Orchestrator.Models;
using Orchestrator.Training;
using Orchestrator.Worker.Tests.Support;

namespace Orchestrator.Worker.Tests;

/// <summary>
/// A worker given a job: it checks its own inputs while the job forms, then confirms ready and trains its rank, or
/// tells the coordinator it cannot run the job.
/// </summary>
public sealed class AssignmentTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);
    private readonly TempDirectory _temp = new();

    [Fact]
    public async Task Worker_confirms_ready_trains_its_assignment_and_rank_0_reports_completion()
    {
        var data = await PrepareDataAsync();
        await using var coordinator = await InProcessCoordinator.StartAsync();
        await using var worker = WorkerUnderTest.Start(coordinator.Host, "w-train",
            new Dictionary<string, string?> { [$"{WorkerOptions.SectionName}:ExitAfterJob"] = "true" });
        await Eventually.MatchesAsync(() => coordinator.Control.ListWorkersAsync(), workers => workers.Any(w => w.WorkerId == worker.Id),
            Patience, "the worker to register");

        var submitted = await coordinator.Control.SubmitAsync(new JobSpec
        {
            DataDir = data, RunDir = _temp.Sub("run"), ConfigJson = TinyConfig(maxSteps: 4).ToJson(), WorldSize = 1,
        });

        var done = await Eventually.MatchesAsync(() => coordinator.Control.GetJobAsync(submitted.JobId), job => job.State is JobState.Completed or JobState.Failed,
            Patience, "the job to end");
        Assert.True(done.State == JobState.Completed, $"job ended {done.State}: {done.FailureReason}");
        Assert.Equal(4, done.Step);
        Assert.Contains(done.History, t => t.To == JobState.Running);
        Assert.Equal(4, done.LatestCheckpoint?.Step);
        Assert.True(Directory.Exists(done.LatestCheckpoint!.Path), done.LatestCheckpoint.Path);

        // An --exit-after-job worker goes once the coordinator releases it: its run ends by itself, without an error.
        await worker.Run.WaitAsync(Patience);
    }

    [Fact]
    public async Task Worker_whose_dataset_is_missing_reports_it_while_forming_instead_of_confirming_ready()
    {
        var missing = _temp.Sub("no-such-data");
        await using var coordinator = await InProcessCoordinator.StartAsync();
        await using var worker = WorkerUnderTest.Start(coordinator.Host, "w-fault");
        await Eventually.MatchesAsync(() => coordinator.Control.ListWorkersAsync(), workers => workers.Any(w => w.WorkerId == worker.Id),
            Patience, "the worker to register");

        var submitted = await coordinator.Control.SubmitAsync(new JobSpec
        {
            DataDir = missing, RunDir = _temp.Sub("run"), ConfigJson = TinyConfig(maxSteps: 4).ToJson(), WorldSize = 1,
        });

        var refused = await Eventually.MatchesAsync(() => coordinator.Control.GetJobAsync(submitted.JobId),
            job => job.FailureReason?.Contains(worker.Id) == true, Patience, "the worker's report that it cannot run the job");
        Assert.Contains(missing, refused.FailureReason);
        Assert.DoesNotContain(refused.History, t => t.To == JobState.Running);
        Assert.False(worker.Run.IsCompleted, "a worker that cannot run one job stays available for others");
    }

    /// <summary>A character-level dataset prepared the way <c>orchestrator prepare</c> does it.</summary>
    private async Task<string> PrepareDataAsync()
    {
        var text = _temp.Sub("corpus.txt");
        var words = new[] { "the", "worker", "trains", "a", "tiny", "model", "on", "its", "rank", "and", "reports", "back" };
        var corpus = new StringBuilder();
        for (var i = 0; corpus.Length < 20_000; i++) corpus.Append(words[i * 7 % words.Length]).Append(i % 9 == 8 ? ".\n" : " ");
        await File.WriteAllTextAsync(text, corpus.ToString());
        var directory = _temp.Sub("data");
        await DataPreparer.PrepareAsync(new PrepareOptions
        {
            Inputs = [text], OutputDirectory = directory, Tokenizer = new TokenizerOptions { Kind = "char" }, MaxDegreeOfParallelism = 1,
        }, null, CancellationToken.None);
        return directory;
    }

    /// <summary>A two-layer GPT of a few thousand parameters; vocab_size is left to the data, as a job file may.</summary>
    private static RunConfig TinyConfig(int maxSteps) => new()
    {
        Model = new ModelConfig { BlockSize = 16, NLayer = 1, NHead = 2, NEmbd = 16 },
        Training = new TrainingOptions
        {
            MaxSteps = maxSteps, BatchSize = 2, WarmupSteps = 1, EvalInterval = 0, CheckpointInterval = maxSteps, LogInterval = 1, Threads = 1,
        },
    };

    public void Dispose() => _temp.Dispose();
}
