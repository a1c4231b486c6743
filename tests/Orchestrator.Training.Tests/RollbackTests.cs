using System.Text.Json;
using Microsoft.Extensions.Logging;
using Orchestrator.Data;
using Orchestrator.Training.Checkpoints;
using Orchestrator.Training.Progress;
using Orchestrator.Training.Rollback;
using Orchestrator.Training.Tests.TestSupport;

namespace Orchestrator.Training.Tests;

/// <summary>
/// Two in-process ranks, NaN written into rank 1's averaged gradients at chosen steps: every rank skips those steps,
/// and max_consecutive_skips of them in a row roll both ranks back together.
/// </summary>
public sealed class RollbackTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly PreparedDataset _data;

    public RollbackTests()
    {
        _data = TinyDatasets.Words(_temp.Sub("data"));
    }

    private RunConfig Config(int checkpointInterval, int maxRollbacks = 3) => TestConfigs.Tiny(_data.Meta.VocabSize) with
    {
        Training = TestConfigs.Tiny(_data.Meta.VocabSize).Training with
        {
            MaxSteps = 12, LrDecaySteps = 20, BatchSize = 2, EvalInterval = 0, CheckpointInterval = checkpointInterval, LogInterval = 1,
            OverlapCommunication = false, ReplicaCheckInterval = 1, MaxConsecutiveSkips = 3, MaxRollbacks = maxRollbacks,
        },
    };

    /// <summary>Runs two ranks; rank 1's gradients are poisoned at <paramref name="poisoned"/> steps (counted in execution order from 0); rank 0's weights are snapshotted at <paramref name="snapshotAt"/>.</summary>
    private async Task<(TrainingResult[] Results, Dictionary<string, float[]>[] Parameters, Dictionary<long, Dictionary<string, float[]>> Snapshots)> Train(
        RunConfig config, string run, Func<long, bool> poisoned, ILogger logger, params long[] snapshotAt)
    {
        var group = new InProcessGroup(2);
        var rank0 = new FaultInjectingSynchronizer(group.Ranks[0], _ => false);
        var rank1 = new FaultInjectingSynchronizer(group.Ranks[1], poisoned);
        using var trainer0 = new Trainer(config, _data, _temp.Sub(run), rank0, logger);
        using var trainer1 = new Trainer(config, _data, _temp.Sub(run), rank1, logger);
        var snapshots = new Dictionary<long, Dictionary<string, float[]>>();
        rank0.BeforeExchange = step =>
        {
            if (snapshotAt.Contains(step)) snapshots[step] = ParameterSnapshot.Of(trainer0.Model);
        };
        var results = await Task.WhenAll(trainer0.RunAsync(CancellationToken.None), trainer1.RunAsync(CancellationToken.None));
        return (results, [ParameterSnapshot.Of(trainer0.Model), ParameterSnapshot.Of(trainer1.Model)], snapshots);
    }

    [Fact]
    public async Task Three_non_finite_steps_in_a_row_roll_every_rank_back_to_the_last_checkpoint()
    {
        // Steps run 0..3, checkpoint "step 4", step 4 updates, steps 5, 6, 7 are poisoned and skipped, then the rollback:
        // step 8 in execution order is step 5 of the run again, on the checkpoint's weights and the next unseen batch.
        var logger = new ListLogger();
        var (results, parameters, snapshots) = await Train(Config(checkpointInterval: 4), "rollback", s => s is 5 or 6 or 7, logger, 4, 7, 8);

        Assert.All(results, r => Assert.Equal((12L, 3L, 1L), (r.Steps, r.SkippedSteps, r.Rollbacks)));
        Assert.All(results, r => Assert.True(double.IsFinite(r.FinalTrainLoss!.Value) && r.FinalTrainLoss < 3, $"final loss {r.FinalTrainLoss}"));
        Assert.Equal(0.0, ParameterSnapshot.MaxDifference(snapshots[4], snapshots[8]));
        Assert.True(ParameterSnapshot.MaxDifference(snapshots[4], snapshots[7]) > 1e-4, "step 4 did not update the weights, so the test could not see a rollback");
        Assert.Equal(0.0, ParameterSnapshot.MaxDifference(parameters[0], parameters[1]));

        var rollbacks = logger.Lines.Where(l => l.Level == LogLevel.Warning && l.Message.Contains("rolled back")).ToArray();
        Assert.Equal(2, rollbacks.Length);
        Assert.All(rollbacks, l => Assert.Contains($"non-finite steps (6 to 8): rolled back to {Path.Combine(CheckpointFiles.CheckpointsDirectory(_temp.Sub("rollback")), "step-00000004")} (step 4)", l.Message));
        Assert.All(rollbacks, l => Assert.Contains("data position 8", l.Message));
        var train = File.ReadAllLines(Path.Combine(_temp.Sub("rollback"), MetricsFile.FileName))
            .Select(l => JsonDocument.Parse(l).RootElement).Where(l => l.GetProperty("kind").GetString() == "train").ToArray();
        Assert.Equal(1, train[^1].GetProperty("rollbacks").GetInt64());
        Assert.Equal(3, train[^1].GetProperty("skipped_steps").GetInt64());
        // Steps 5..12 after the rollback: the log goes back to step 5 once.
        Assert.Equal([1L, 2, 3, 4, 5, 6, 7, 5, 6, 7, 8, 9, 10, 11, 12], train.Select(l => l.GetProperty("step").GetInt64()));
    }

    [Fact]
    public async Task Without_a_checkpoint_the_rollback_restores_the_initial_weights()
    {
        var logger = new ListLogger();
        var (results, _, snapshots) = await Train(Config(checkpointInterval: 0), "initial", s => s is 2 or 3 or 4, logger, 0, 4, 5);

        Assert.Equal(0.0, ParameterSnapshot.MaxDifference(snapshots[0], snapshots[5]));
        Assert.True(ParameterSnapshot.MaxDifference(snapshots[0], snapshots[4]) > 1e-4);
        Assert.All(results, r => Assert.Equal((12L, 1L), (r.Steps, r.Rollbacks)));
        Assert.Contains(logger.Lines, l => l.Message.Contains("rolled back to the initial weights (no checkpoint yet) (step 0)"));
    }

    [Fact]
    public async Task Rolling_back_more_than_max_rollbacks_times_fails_with_what_to_try()
    {
        // From step 3 on every step is poisoned (a broken shard, a learning rate far too high): rollbacks after steps
        // 3-5 and 6-8 are allowed, the third stops the job.
        var error = await Assert.ThrowsAsync<TrainingDivergedException>(
            () => Train(Config(checkpointInterval: 2, maxRollbacks: 2), "diverged", s => s >= 3, new ListLogger()));

        Assert.Contains("max_rollbacks = 2", error.Message);
        Assert.Contains("Lower learning_rate (now 0.003)", error.Message);
        Assert.Contains("check the data", error.Message);
    }

    public void Dispose()
    {
        _data.Dispose();
        _temp.Dispose();
    }
}
