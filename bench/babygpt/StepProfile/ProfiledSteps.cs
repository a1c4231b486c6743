using System.Diagnostics;
using System.Text.Json.Serialization;
using Orchestrator.Data;
using Orchestrator.Models;
using Orchestrator.Training;
using Orchestrator.Training.Batching;
using Orchestrator.Training.Optimization;
using static TorchSharp.torch;

namespace StepProfile;

/// <summary>
/// Baby GPT (batch 12 × 64, single process) with the trainer's own parts — model factory, AdamW, gradient clipping,
/// batch plan and loader — stepping as TrainingStep does, each part of a step timed on the CPU (synchronous, so the
/// clock between parts costs nothing). Part names match reference.py's phase_ms_per_step where they can.
/// </summary>
internal sealed class ProfiledSteps : IDisposable
{
    private const int BatchSize = 12;
    private const long Seed = 1337;
    private static readonly string[] Parts = ["data", "forward", "loss", "backward", "clip", "optimizer", "zero_grad"];

    private readonly PreparedDataset _data;
    private readonly LanguageModel _model;
    private readonly AdamW _optimizer;
    private readonly BatchPlan _plan;
    private readonly TokenBatchLoader _loader;
    private readonly int _threads;

    private ProfiledSteps(string dataDir, int threads)
    {
        _threads = threads;
        set_num_threads(threads);
        _data = PreparedDataset.Open(dataDir);
        var config = new ModelConfig { VocabSize = _data.Meta.VocabSize, NLayer = 4, NHead = 4, NEmbd = 128, BlockSize = 64, Dropout = 0 };
        TrainingRandomness.SeedForInitialisation(Seed);
        _model = ModelFactory.Create(config);
        _model.train();
        _optimizer = new AdamW(_model.named_parameters().Select(p => (p.name, p.parameter)), 0.9, 0.99, 1e-8, 0.1);
        var train = _data.Split("train");
        _plan = new BatchPlan(train.Length, config.BlockSize, Seed, 1, 0, BatchSize, globalBatchSize: BatchSize);
        _loader = new TokenBatchLoader(train, BatchSize, config.BlockSize, CPU);
    }

    public static ProfiledSteps Build(string dataDir, int threads) => new(dataDir, threads);

    /// <summary>
    /// Times <paramref name="steps"/> steps after <paramref name="warmup"/> untimed ones; <paramref name="setThreadsFirst"/>
    /// calls set_num_threads again on the calling thread. <paramref name="segmented"/> runs backward one model segment
    /// at a time through detached cuts, as TrainingStep does when it overlaps gradient exchange with backward (here with
    /// no exchange), so the cost of segmenting can be told from the exchange's.
    /// </summary>
    public Result Run(int steps, int warmup, bool setThreadsFirst = false, bool segmented = false)
    {
        if (setThreadsFirst) set_num_threads(_threads);
        var parameters = _optimizer.Parameters;
        var totals = new double[Parts.Length];
        var marks = new long[Parts.Length + 1];
        for (var step = 0; step < warmup + steps; step++)
        {
            using var scope = NewDisposeScope();
            marks[0] = Stopwatch.GetTimestamp();
            TrainingRandomness.SeedForStep(Seed, step, 0);
            _plan.MicroBatchStarts(step, 0, _loader.Starts);
            var (input, target) = _loader.Load();
            marks[1] = Stopwatch.GetTimestamp();
            var (cuts, outputs) = segmented ? ForwardBySegments(input) : ([], [_model.call(input)]);
            marks[2] = Stopwatch.GetTimestamp();
            var logits = outputs[^1];
            var loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[^1]), target.reshape(-1));
            marks[3] = Stopwatch.GetTimestamp();
            loss.backward();
            for (var i = outputs.Length - 2; i >= 0 && segmented; i--)
                outputs[i].backward([cuts[i + 1].grad!]);
            marks[4] = Stopwatch.GetTimestamp();
            var readings = stack([loss.detach(), GradientClipping.GlobalNorm(parameters)]).to(float64).cpu().data<double>().ToArray();
            marks[5] = Stopwatch.GetTimestamp();
            _optimizer.Step(1e-3, GradientClipping.Coefficient(readings[1], 1.0));
            marks[6] = Stopwatch.GetTimestamp();
            _optimizer.ZeroGrad();
            marks[7] = Stopwatch.GetTimestamp();
            if (step < warmup) continue;
            for (var i = 0; i < Parts.Length; i++)
                totals[i] += Stopwatch.GetElapsedTime(marks[i], marks[i + 1]).TotalMilliseconds;
        }
        var msPerStep = totals.Sum() / steps;
        Dispose();
        return new Result(_threads, "", segmented ? "segments" : "whole", get_num_threads(), steps, Math.Round(msPerStep, 3), Math.Round(BatchSize * 64 * 1000 / msPerStep),
            Parts.Select((name, i) => (name, ms: totals[i] / steps)).ToDictionary(p => p.name, p => Math.Round(p.ms, 3)));
    }

    private (Tensor[] Cuts, Tensor[] Outputs) ForwardBySegments(Tensor input)
    {
        var count = _model.SegmentCount;
        var cuts = new Tensor[count];
        var outputs = new Tensor[count];
        for (var i = 0; i < count; i++)
        {
            cuts[i] = i == 0 ? input : outputs[i - 1].detach().requires_grad_(true);
            outputs[i] = _model.ForwardSegment(i, cuts[i]);
        }
        return (cuts, outputs);
    }

    public void Dispose()
    {
        _loader.Dispose();
        _optimizer.Dispose();
        _model.Dispose();
        _data.Dispose();
    }

    public sealed record Result(
        [property: JsonPropertyName("threads")] int Threads,
        [property: JsonPropertyName("loop_thread")] string LoopThread,
        [property: JsonPropertyName("backward")] string Backward,
        [property: JsonPropertyName("get_num_threads_in_loop")] int ThreadsInLoop,
        [property: JsonPropertyName("steps")] int Steps,
        [property: JsonPropertyName("ms_per_step")] double MsPerStep,
        [property: JsonPropertyName("tokens_per_s")] double TokensPerSecond,
        [property: JsonPropertyName("phase_ms_per_step")] Dictionary<string, double> PhaseMsPerStep);
}
