using Orchestrator.EndToEnd.Tests.TestSupport;

namespace Orchestrator.EndToEnd.Tests.DataParallel;

/// <summary>
/// Four 5-step runs of the tiny GPT on the same small dataset, started together once for every test of the
/// collection: the same global batch of 12 sequences split as 1×12, 2×6 and 3×4 (seed 7), and 2×6 with seed 8.
/// Dropout 0 and no warm-up, evaluation every 2 steps (and at the end), a metrics row every step.
/// </summary>
public sealed class DataParallelRuns : IAsyncLifetime
{
    public const int Steps = 5;
    public const int GlobalBatch = 12;
    public const long Seed = 7;

    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(4);
    private readonly TempDirectory _temp = new();

    public string Data => _temp.Sub("data");
    public Run OneWorker { get; } = new(1, Seed);
    public Run TwoWorkers { get; } = new(2, Seed);
    public Run ThreeWorkers { get; } = new(3, Seed);
    public Run TwoWorkersOtherSeed { get; } = new(2, Seed + 1);

    public async Task InitializeAsync()
    {
        await SmallCorpus.PrepareAsync(SmallCorpus.Write(_temp.Sub("corpus.txt")), Data, "--tokenizer", "char");
        Run[] runs = [OneWorker, TwoWorkers, ThreeWorkers, TwoWorkersOtherSeed];
        foreach (var run in runs) run.Directory = _temp.Sub($"run-{run.Workers}w-seed{run.Seed}");
        // Concurrently: most of a multi-worker run is process start-up and cluster forming, not arithmetic.
        await Task.WhenAll(runs.Select(async run => run.Result = await OrchestratorCli.SucceedAsync(TinyGpt.Train(Data, run.Directory,
            "--workers", run.Workers.ToString(), "--batch-size", (GlobalBatch / run.Workers).ToString(),
            "--max-steps", Steps.ToString(), "--seed", run.Seed.ToString(), "--dropout", "0", "--warmup-steps", "0",
            "--eval-interval", "2", "--eval-batches", "1", "--log-interval", "1", "--checkpoint-interval", Steps.ToString()),
            timeout: RunTimeout)));
    }

    public Task DisposeAsync()
    {
        _temp.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>One training run: how it was split, where it wrote, what the CLI printed.</summary>
    public sealed class Run(int workers, long seed)
    {
        public int Workers { get; } = workers;
        public long Seed { get; } = seed;
        public string Directory { get; set; } = "";
        public ProcessResult Result { get; set; } = null!;

        public string FinalCheckpoint => Path.Combine(Directory, "checkpoints", $"step-{Steps:D8}");

        public IReadOnlyDictionary<string, StoredTensor> FinalParameters() =>
            SafetensorsFile.Read(Path.Combine(FinalCheckpoint, "model.safetensors"));

        public override string ToString() => $"{Workers} worker(s) x batch {GlobalBatch / Workers}, seed {Seed}";
    }
}

[CollectionDefinition(Name)]
public sealed class DataParallelCollection : ICollectionFixture<DataParallelRuns>
{
    public const string Name = "data-parallel runs";
}
