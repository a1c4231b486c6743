using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Orchestrator.Data;
using Orchestrator.Models;
using Orchestrator.Training;
using Orchestrator.Training.Checkpoints;
using Orchestrator.Training.Distributed;
using Orchestrator.Training.Optimization;
using Orchestrator.Training.Progress;
using static TorchSharp.torch;

// Usage: CheckpointStall DATA_DIR OUT_DIR [REPEATS=7] [THREADS=2] [STEPS=16]
// How long a checkpoint of the baby-GPT shape (6 layers, 6 heads, 384 wide, block 256, the data's char vocabulary:
// about 10.7M parameters) holds up training, printed as markdown tables.
// 1. Isolated, REPEATS times each: CheckpointSnapshot.Capture into new arrays and into the buffers of the previous
//    snapshot (all that the training thread does now) against CheckpointWriter.Write of that snapshot (files, fsyncs,
//    manifest, rename: what the background task does, and what the training thread used to wait for on top of the copy).
// 2. In a real run: two Trainer runs of STEPS steps (batch 4 x 256), one with a checkpoint every 2 steps, one without,
//    reporting CheckpointWritten.StallSeconds against .Seconds and the training throughput of each.
var (dataDir, outDir) = (args[0], args[1]);
var repeats = args.Length > 2 ? int.Parse(args[2]) : 7;
var threads = args.Length > 3 ? int.Parse(args[3]) : 2;
var steps = args.Length > 4 ? int.Parse(args[4]) : 16;
Directory.CreateDirectory(outDir);
using var data = PreparedDataset.Open(dataDir);
var config = new RunConfig
{
    Model = new ModelConfig { VocabSize = data.Meta.VocabSize, BlockSize = 256, NLayer = 6, NHead = 6, NEmbd = 384 },
    Training = new TrainingOptions
    {
        MaxSteps = steps, BatchSize = 4, WarmupSteps = 2, EvalInterval = 0, CheckpointInterval = 2, KeepLastCheckpoints = 2,
        LogInterval = 1, Threads = threads, ReplicaCheckInterval = 0,
    },
};

set_num_threads(threads);
var fresh = new List<double>();
var reused = new List<double>();
var write = new List<double>();
long bytes = 0, parameters;
using (var model = ModelFactory.Create(config.Model))
using (var optimizer = new AdamW(model.named_parameters().Select(p => (p.name, p.parameter)), 0.9, 0.95, 1e-8, 0.1))
{
    parameters = model.ParameterCount();
    var writer = new CheckpointWriter(Path.Combine(outDir, "isolated"));
    CheckpointSnapshot? previous = null;
    for (var i = 0; i < 2 * repeats; i++)
    {
        // Alternating: a snapshot into new arrays, then one into the buffers of the snapshot just written (as runs do).
        var reuse = i % 2 == 1;
        var content = new CheckpointContent(model, optimizer, new TrainerState { Step = i }, config, data.Directory);
        var started = Stopwatch.GetTimestamp();
        var snapshot = CheckpointSnapshot.Capture(content, reuse: reuse ? previous : null);
        (reuse ? reused : fresh).Add(Stopwatch.GetElapsedTime(started).TotalSeconds);
        started = Stopwatch.GetTimestamp();
        var directory = writer.Write(snapshot);
        write.Add(Stopwatch.GetElapsedTime(started).TotalSeconds);
        bytes = new DirectoryInfo(directory).EnumerateFiles().Sum(f => f.Length);
        Directory.Delete(directory, recursive: true);
        previous = snapshot;
    }
}

Console.WriteLine($"baby GPT {parameters / 1e6:F2}M parameters, {bytes / 1e6:F1} MB per checkpoint, {threads} threads, {repeats} repeats");
Console.WriteLine();
Console.WriteLine("| isolated | median s | min s | max s |");
Console.WriteLine("|---|---|---|---|");
Console.WriteLine($"| snapshot into new arrays (training thread) | {Median(fresh):F4} | {fresh.Min():F4} | {fresh.Max():F4} |");
Console.WriteLine($"| snapshot into reused buffers (training thread) | {Median(reused):F4} | {reused.Min():F4} | {reused.Max():F4} |");
Console.WriteLine($"| files: safetensors, json, tokenizer, fsyncs, manifest, rename (background) | {Median(write):F4} | {write.Min():F4} | {write.Max():F4} |");
Console.WriteLine($"| stall / (snapshot + files), reused buffers | {Median(reused) / (Median(reused) + Median(write)):P1} | | |");
Console.WriteLine();

var withCheckpoints = await Run(config, "with-checkpoints");
var without = await Run(config with { Training = config.Training with { CheckpointInterval = 0 } }, "without-checkpoints");
// The last step's checkpoint is awaited at the end of the run rather than overlapped, so it is left out.
var overlapped = withCheckpoints.Written.Where(w => w.Step < steps).ToArray();
Console.WriteLine($"| in a run ({steps} steps, batch 4 x 256, checkpoint every 2) | median s | min s | max s |");
Console.WriteLine("|---|---|---|---|");
Console.WriteLine($"| stall on the training thread | {Median(overlapped.Select(w => w.StallSeconds)):F4} | {overlapped.Min(w => w.StallSeconds):F4} | {overlapped.Max(w => w.StallSeconds):F4} |");
Console.WriteLine($"| snapshot to published | {Median(overlapped.Select(w => w.Seconds)):F4} | {overlapped.Min(w => w.Seconds):F4} | {overlapped.Max(w => w.Seconds):F4} |");
Console.WriteLine($"| stall / write | {Median(overlapped.Select(w => w.StallSeconds)) / Median(overlapped.Select(w => w.Seconds)):P1} | | |");
Console.WriteLine();
Console.WriteLine("| run | train tokens/s | wall s |");
Console.WriteLine("|---|---|---|");
Console.WriteLine($"| checkpoint every 2 steps | {withCheckpoints.Result.TrainTokensPerSecond:F0} | {withCheckpoints.Result.ElapsedSeconds:F1} |");
Console.WriteLine($"| no checkpoints | {without.Result.TrainTokensPerSecond:F0} | {without.Result.ElapsedSeconds:F1} |");

async Task<(TrainingResult Result, List<CheckpointWritten> Written)> Run(RunConfig runConfig, string name)
{
    var written = new List<CheckpointWritten>();
    using var trainer = new Trainer(runConfig, data, Path.Combine(outDir, name), SingleProcessSynchronizer.Instance, NullLogger.Instance,
        checkpoints: new SynchronousProgress<CheckpointWritten>(w => { lock (written) written.Add(w); }));
    var result = await trainer.RunAsync(CancellationToken.None);
    return (result, written);
}

static double Median(IEnumerable<double> values)
{
    var sorted = values.Order().ToArray();
    return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
}
