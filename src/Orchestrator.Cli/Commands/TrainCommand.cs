using System.CommandLine;
using Microsoft.Extensions.Logging;
using Orchestrator.Cli.Embedded;
using Orchestrator.Data;
using Orchestrator.Training;
using Orchestrator.Training.Checkpoints;
using Orchestrator.Training.Distributed;
using Orchestrator.Training.Pretrained;

namespace Orchestrator.Cli.Commands;

/// <summary>
/// <c>orchestrator train</c>: one process with <c>--workers 1</c>; with <c>--workers N</c> an in-process coordinator
/// on loopback plus N worker processes exchanging gradients over gRPC, leaving the same run directory behind.
/// </summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "Data directory written by `prepare`", Required = true };
        var output = new Option<string>("--out") { Description = "Run directory (metrics.jsonl, train.log, checkpoints/)", Required = true };
        var workers = new Option<int>("--workers") { Description = "Data-parallel worker processes on this machine", DefaultValueFactory = _ => 1 }.AtLeast(1);
        var resume = new Option<bool>("--resume") { Description = "Continue exactly from RUN_DIR/checkpoints/latest" };
        var maxRestarts = new Option<int>("--max-restarts") { Description = "With --workers N: lost worker processes replaced (job resumed from its latest checkpoint) before the run fails", DefaultValueFactory = _ => 3 };
        var minWorkers = new Option<int?>("--min-workers") { Description = "With --workers N: fewest workers the job goes on with while a lost one is replaced (default: N)" };
        var force = new Option<bool>("--force") { Description = "Replace the run already in --out (its checkpoints, metrics.jsonl and train.log)" };
        var flags = new RunConfigFlags();
        var command = new Command("train", "Train a model on a prepared dataset") { data, output, workers, resume, force, maxRestarts, minWorkers };
        foreach (var option in flags.All) command.Options.Add(option);

        command.SetAction(async (parse, cancellationToken) =>
        {
            var dataDir = Path.GetFullPath(parse.GetValue(data)!);
            var runDir = Path.GetFullPath(parse.GetValue(output)!);
            var workerCount = parse.GetValue(workers);
            var isResume = parse.GetValue(resume);
            var restartLimit = parse.GetValue(maxRestarts);
            if (restartLimit < 0) throw new InvalidRunConfigException($"--max-restarts must be 0 or more (got {restartLimit})");
            var fewestWorkers = parse.GetValue(minWorkers) ?? workerCount;
            if (fewestWorkers < 1 || fewestWorkers > workerCount)
                throw new InvalidRunConfigException($"--min-workers must lie between 1 and --workers ({workerCount}) (got {fewestWorkers})");
            var isForce = parse.GetValue(force);
            RunDirectory.EnsureUsable(runDir, dataDir, isResume, isForce);

            if (workerCount > 1)
            {
                RunConfig clusterConfig;
                // The workers map the dataset themselves; this process only reads its vocabulary size.
                using (var meta = PreparedDataset.Open(dataDir)) clusterConfig = PrepareRun(parse, flags, meta, runDir, isResume, isForce, workerCount);
                using var clusterLog = TrainLog.Start(runDir);
                return await EmbeddedCluster.TrainAsync(clusterConfig, dataDir, runDir, workerCount, isResume, restartLimit, fewestWorkers, cancellationToken);
            }

            using var dataset = PreparedDataset.Open(dataDir);
            var config = PrepareRun(parse, flags, dataset, runDir, isResume, isForce, workerCount);
            using var log = TrainLog.Start(runDir);
            using var loggers = ConsoleLogging.Create();
            using var trainer = new Trainer(config, dataset, runDir, SingleProcessSynchronizer.Instance,
                loggers.CreateLogger<Trainer>(), resume: isResume);
            var result = await trainer.RunAsync(cancellationToken);
            Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(result));
            return 0;
        });
        return command;
    }

    /// <summary>
    /// The validated configuration of the run (threads shared out between local workers), with its run directory
    /// created only once everything checked out, so a refused run leaves nothing behind.
    /// </summary>
    private static RunConfig PrepareRun(ParseResult parse, RunConfigFlags flags, PreparedDataset dataset, string runDir, bool resume, bool force, int workerCount)
    {
        var config = ResolveConfig(parse, flags, dataset, runDir, resume);
        if (config.Training.Threads == 0 && workerCount > 1)
            config = config with { Training = config.Training with { Threads = Math.Max(1, Environment.ProcessorCount / workerCount) } };
        try
        {
            config.Validate();
        }
        catch (InvalidRunConfigException e)
        {
            throw flags.NameFlag(e);
        }
        // A base model that does not fit the data is refused before the run directory exists.
        if (config.InitFrom is { } initFrom && !resume) PretrainedModel.Open(initFrom.Path).EnsureTokenizerMatches(dataset);
        RunDirectory.Create(runDir, force);
        return config;
    }

    /// <summary>A resumed run starts from the configuration saved in its latest checkpoint, so `--resume` alone is enough.</summary>
    private static RunConfig ResolveConfig(ParseResult parse, RunConfigFlags flags, PreparedDataset dataset, string runDir, bool resume)
    {
        if (!resume) return flags.Resolve(parse, dataset.Meta.VocabSize);
        // The newest checkpoint that verifies: a damaged latest is skipped with a warning here as in the trainer.
        using var loggers = ConsoleLogging.Create();
        var saved = RunDirectory.RequireResumable(runDir, CheckpointStore.ForRun(runDir).LatestValid(loggers.CreateLogger<Trainer>()));
        return flags.Resolve(parse, dataset.Meta.VocabSize, saved.Config);
    }
}
