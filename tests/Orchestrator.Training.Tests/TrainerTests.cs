using System.Text.Json;
using Microsoft.Extensions.Logging;
using Orchestrator.Data;
using Orchestrator.Training.Checkpoints;
using Orchestrator.Training.Distributed;
using Orchestrator.Training.Progress;
using Orchestrator.Training.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace Orchestrator.Training.Tests;

public sealed class TrainerTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly PreparedDataset _data;

    public TrainerTests()
    {
        _data = TinyDatasets.Words(_temp.Sub("data"));
    }

    /// <summary>
    /// Same sequences summed in a different order differ by float rounding (~1e-7 relative), which five AdamW steps
    /// (updates normalised by the gradient's own scale) grow to a few 1e-6; a real error (a wrong slice, a missed
    /// average) moves parameters by ~1e-2.
    /// </summary>
    private const double Tolerance = 1e-5;

    private RunConfig Config(double dropout = 0.0) => TestConfigs.Tiny(_data.Meta.VocabSize, dropout);

    private async Task<(TrainingResult Result, Dictionary<string, float[]> Parameters)> Train(
        RunConfig config, string run, bool resume = false, IGradientSynchronizer? peers = null, ILogger? logger = null,
        IProgress<TrainingProgress>? progress = null, PreparedDataset? data = null, IProgress<CheckpointWritten>? checkpoints = null)
    {
        using var trainer = new Trainer(config, data ?? _data, _temp.Sub(run), peers ?? SingleProcessSynchronizer.Instance,
            logger ?? new ListLogger(), progress, resume, checkpoints);
        var result = await trainer.RunAsync(CancellationToken.None);
        return (result, ParameterSnapshot.Of(trainer.Model));
    }

    [Fact]
    public async Task Resume_after_ten_steps_matches_twenty_uninterrupted_steps()
    {
        // Dropout > 0 so the run depends on the random stream, which the resume must restore too.
        var twenty = Config(dropout: 0.1) with { Training = Config().Training with { MaxSteps = 20, LrDecaySteps = 20 } };
        var (uninterrupted, expected) = await Train(twenty, "straight");

        await Train(twenty with { Training = twenty.Training with { MaxSteps = 10 } }, "interrupted");
        var (resumed, actual) = await Train(twenty, "interrupted", resume: true);

        Assert.Equal(0.0, ParameterSnapshot.MaxDifference(expected, actual));
        Assert.Equal(20, resumed.Steps);
        Assert.Equal(uninterrupted.TokensSeen, resumed.TokensSeen);
        Assert.Equal(20L * 4 * 16, resumed.TokensSeen);
        Assert.Equal(uninterrupted.FinalTrainLoss, resumed.FinalTrainLoss);
        Assert.Equal(uninterrupted.FinalEvaluation!.Loss, resumed.FinalEvaluation!.Loss);
    }

    [Fact]
    public async Task Dropout_changes_the_result_so_the_resume_test_can_fail()
    {
        var (_, withDropout) = await Train(Config(dropout: 0.1) with { Training = Config().Training with { MaxSteps = 3 } }, "a");
        var (_, without) = await Train(Config(dropout: 0.0) with { Training = Config().Training with { MaxSteps = 3 } }, "b");
        Assert.True(ParameterSnapshot.MaxDifference(withDropout, without) > 1e-4);
    }

    [Fact]
    public async Task A_tiny_model_overfits_one_batch()
    {
        // A train split of exactly block_size + 1 tokens has one window, so every step sees the same 4 × 16 predictions.
        const string window = "the king shall sp";
        using var data = TinyDatasets.Create(_temp.Sub("one-batch"), train: window, val: window);
        var config = TestConfigs.Tiny(data.Meta.VocabSize) with
        {
            Training = TestConfigs.Tiny(data.Meta.VocabSize).Training with
            {
                LearningRate = 1e-2, MinLr = 1e-2, LrSchedule = "constant", WarmupSteps = 0, MaxSteps = 60, WeightDecay = 0,
                EvalInterval = 0, CheckpointInterval = 0,
            },
        };
        var (result, _) = await Train(config, "overfit", data: data);

        // Start: about ln V = ln 11 ≈ 2.4 nats. Below 0.05 the model puts on average ≥ 95% on each of the 16 next
        // characters, which only memorising this one sequence achieves; 16 targets from 11 ids are far from uniform.
        Assert.True(result.FinalTrainLoss < 0.05, $"final loss {result.FinalTrainLoss}");
        Assert.True(result.FinalEvaluation!.Loss < 0.05, $"val loss on the same window {result.FinalEvaluation.Loss}");
    }

    [Fact]
    public async Task Two_micro_batches_of_half_the_size_equal_one_full_batch()
    {
        var full = Config() with { Training = Config().Training with { MaxSteps = 5, BatchSize = 4, GradAccumSteps = 1 } };
        var halves = full with { Training = full.Training with { BatchSize = 2, GradAccumSteps = 2 } };
        var (fullResult, expected) = await Train(full, "full");
        var (halvesResult, actual) = await Train(halves, "halves");

        var difference = ParameterSnapshot.MaxDifference(expected, actual);
        Assert.True(difference < Tolerance, $"parameters differ by {difference}");
        Assert.Equal(fullResult.FinalTrainLoss!.Value, halvesResult.FinalTrainLoss!.Value, 5);
        Assert.Equal(fullResult.TokensSeen, halvesResult.TokensSeen);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Two_ranks_match_one_rank_with_twice_the_batch(bool overlap)
    {
        var single = Config() with { Training = Config().Training with { MaxSteps = 5, BatchSize = 4, OverlapCommunication = overlap } };
        var (singleResult, expected) = await Train(single, "single");

        var perRank = single with { Training = single.Training with { BatchSize = 2 } };
        var group = new InProcessGroup(2);
        // Both trainers are built before either runs: initialisation draws from libtorch's process-wide generator.
        using var rank0 = new Trainer(perRank, _data, _temp.Sub("rank0"), group.Ranks[0], new ListLogger());
        using var rank1 = new Trainer(perRank, _data, _temp.Sub("rank1"), group.Ranks[1], new ListLogger());
        var results = await Task.WhenAll(rank0.RunAsync(CancellationToken.None), rank1.RunAsync(CancellationToken.None));
        var ranks = new[] { (Result: results[0], Parameters: ParameterSnapshot.Of(rank0.Model)), (Result: results[1], Parameters: ParameterSnapshot.Of(rank1.Model)) };

        var difference = ParameterSnapshot.MaxDifference(expected, ranks[0].Parameters);
        Assert.True(difference < Tolerance, $"parameters differ by {difference}");
        Assert.Equal(0.0, ParameterSnapshot.MaxDifference(ranks[0].Parameters, ranks[1].Parameters));
        Assert.Equal(singleResult.FinalTrainLoss!.Value, ranks[0].Result.FinalTrainLoss!.Value, 5);
        Assert.Equal(singleResult.FinalEvaluation!.Loss, ranks[1].Result.FinalEvaluation!.Loss, 5);
        Assert.Null(ranks[1].Result.CheckpointDirectory);
        Assert.False(Directory.Exists(CheckpointFiles.CheckpointsDirectory(_temp.Sub("rank1"))));
    }

    [Fact]
    public async Task A_non_finite_value_on_any_rank_skips_the_step_on_every_rank()
    {
        var config = Config() with { Training = Config().Training with { LrDecaySteps = 20, EvalInterval = 0 } };
        var (_, afterThree) = await Train(config with { Training = config.Training with { MaxSteps = 3 } }, "three", peers: new PeerWithNaN(nanAtStep: -1));
        var logger = new ListLogger();
        var (result, afterSkip) = await Train(config with { Training = config.Training with { MaxSteps = 4 } }, "four",
            peers: new PeerWithNaN(nanAtStep: 3), logger: logger);

        Assert.Equal(0.0, ParameterSnapshot.MaxDifference(afterThree, afterSkip));
        Assert.Equal(1, result.SkippedSteps);
        Assert.Equal(4, result.Steps);
        Assert.Contains(logger.Lines, l => l.Level == LogLevel.Warning && l.Message.Contains("step 4 skipped"));
    }

    [Fact]
    public async Task Progress_metrics_and_checkpoints_follow_their_intervals()
    {
        var reports = new List<TrainingProgress>();
        var announced = new List<CheckpointWritten>();
        var (result, _) = await Train(Config(), "observed", progress: new SynchronousProgress<TrainingProgress>(reports.Add),
            checkpoints: new SynchronousProgress<CheckpointWritten>(announced.Add));

        var lines = File.ReadAllLines(Path.Combine(_temp.Sub("observed"), MetricsFile.FileName)).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        var train = lines.Where(l => l.GetProperty("kind").GetString() == "train").ToArray();
        var eval = lines.Where(l => l.GetProperty("kind").GetString() == "eval").ToArray();
        Assert.Equal([5L, 10, 15, 20], train.Select(l => l.GetProperty("step").GetInt64()));
        Assert.Equal([10L, 20], eval.Select(l => l.GetProperty("step").GetInt64()));
        Assert.All(train, l => Assert.True(l.GetProperty("tokens_per_sec").GetDouble() > 0));
        Assert.All(eval, l => Assert.True(l.GetProperty("bits_per_byte").GetDouble() > 0));
        var checkpoints = announced.ToArray();
        Assert.Equal(6, reports.Count);
        Assert.Equal(2, reports.Count(r => r.Evaluation is not null));
        Assert.All(reports, r => Assert.True(r.TokensPerSecond > 0, $"report at step {r.Step} says {r.TokensPerSecond} tokens/s"));
        Assert.True(train[^1].GetProperty("loss").GetDouble() < train[0].GetProperty("loss").GetDouble());

        var store = CheckpointStore.ForRun(_temp.Sub("observed"));
        Assert.Equal([10L, 20], store.Steps());
        Assert.Equal(store.Latest, result.CheckpointDirectory);
        // Every checkpoint is announced once, after it is complete, with its size on disk and the evaluation it follows.
        Assert.Equal([10L, 20], checkpoints.Select(c => c.Step));
        Assert.Equal(store.Latest, checkpoints[^1].Directory);
        Assert.All(checkpoints, c => Assert.Equal(new DirectoryInfo(c.Directory).EnumerateFiles().Sum(f => f.Length), c.Bytes));
        Assert.All(checkpoints, c => Assert.True(c.Seconds > 0));
        Assert.Equal(eval.Select(l => l.GetProperty("loss").GetDouble()), checkpoints.Select(c => c.ValLoss!.Value));
        var best = Checkpoint.Load(store.Best!);
        Assert.Equal(result.BestValLoss, best.State.BestValLoss);
        var latest = Checkpoint.Load(_temp.Sub("observed"));
        Assert.Equal(20, latest.State.DataPosition);
        Assert.Equal(result.TokensSeen, latest.State.TokensSeen);
    }

    [Fact]
    public async Task Steps_evaluations_and_checkpoints_leave_no_tensor_behind()
    {
        // Progress is reported on the training thread, where the dispose-scope statistics are kept.
        var live = new List<long>();
        var config = Config() with { Training = Config().Training with { MaxSteps = 12, LogInterval = 1, EvalInterval = 4, CheckpointInterval = 4 } };
        await Train(config, "flat", progress: new SynchronousProgress<TrainingProgress>(p =>
        {
            if (p.Evaluation is null) live.Add(DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount);
        }));
        Assert.Equal(12, live.Count);
        Assert.True(live.Skip(1).Distinct().Count() == 1, $"live tensors after each step: {string.Join(", ", live)}");
    }

    [Fact]
    public async Task The_model_is_built_and_trained_on_the_same_thread()
    {
        // TorchSharp counts live tensors per creating thread: the thread that reports progress (the training thread)
        // must own the parameters and both AdamW moments of each, or libtorch ran on two threads (two OpenMP pools).
        var seen = new List<(long Live, string? Thread)>();
        var config = Config() with { Training = Config().Training with { MaxSteps = 2, LrDecaySteps = 20, LogInterval = 1, EvalInterval = 0 } };
        using var trainer = new Trainer(config, _data, _temp.Sub("one-thread"), SingleProcessSynchronizer.Instance, new ListLogger(),
            new SynchronousProgress<TrainingProgress>(p =>
            {
                if (p.Evaluation is null) seen.Add((DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount, Thread.CurrentThread.Name));
            }));
        var parameterTensors = trainer.Model.parameters().Count();
        await trainer.RunAsync(CancellationToken.None);

        Assert.Equal(2, seen.Count);
        Assert.All(seen, s => Assert.Equal("trainer-rank0", s.Thread));
        Assert.All(seen, s => Assert.True(s.Live >= 3 * parameterTensors, $"{s.Live} live tensors on the training thread for {parameterTensors} parameters"));
    }

    [Fact]
    public async Task Cancellation_stops_at_the_next_step_boundary()
    {
        using var cancel = new CancellationTokenSource();
        var config = Config() with { Training = Config().Training with { LogInterval = 1 } };
        using var trainer = new Trainer(config, _data, _temp.Sub("cancelled"), SingleProcessSynchronizer.Instance, new ListLogger(),
            new SynchronousProgress<TrainingProgress>(p => { if (p.Step == 3) cancel.Cancel(); }));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => trainer.RunAsync(cancel.Token));

        var steps = File.ReadAllLines(Path.Combine(_temp.Sub("cancelled"), MetricsFile.FileName))
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("step").GetInt64());
        Assert.Equal([1L, 2, 3], steps);
    }

    [Fact]
    public async Task Resuming_a_run_without_checkpoints_fails_clearly()
    {
        var error = await Assert.ThrowsAsync<CheckpointNotFoundException>(() => Train(Config(), "empty", resume: true));
        Assert.Contains("start the run without resume", error.Message);
    }

    public void Dispose()
    {
        _data.Dispose();
        _temp.Dispose();
    }


    /// <summary>
    /// Rank 0 of two whose peer computes exactly the same gradients (so averaging changes nothing) but, at one step,
    /// reports a NaN loss.
    /// </summary>
    private sealed class PeerWithNaN(long nanAtStep) : IGradientSynchronizer
    {
        private long _sums;
        public int Rank => 0;
        public int WorldSize => 2;
        public Task AverageGradientsAsync(IReadOnlyList<Tensor> gradients, GradientWire wire, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task<float[][]> GatherAsync(float[] values, CancellationToken cancellationToken) => Task.FromResult(new[] { values, values });

        public Task<double[]> SumAsync(double[] values, CancellationToken cancellationToken)
        {
            var poisoned = _sums++ == nanAtStep;
            return Task.FromResult(new[] { values[0] + (poisoned ? double.NaN : values[0]), values[1] + (poisoned ? 1 : values[1]) });
        }
    }
}
