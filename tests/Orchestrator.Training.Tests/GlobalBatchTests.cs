using Microsoft.Extensions.Logging;
using Orchestrator.Data;
using Orchestrator.Training.Distributed;
using Orchestrator.Training.Tests.TestSupport;

namespace Orchestrator.Training.Tests;

/// <summary>A fixed global_batch_size trains the same model on any number of workers, so a job can grow or shrink mid-run.</summary>
public sealed class GlobalBatchTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly PreparedDataset _data;

    public GlobalBatchTests()
    {
        _data = TinyDatasets.Words(_temp.Sub("data"));
    }

    /// <summary>Summation order differs between splits (~1e-7 relative per step); a wrong weight or slice moves parameters by ~1e-2.</summary>
    private const double Tolerance = 1e-5;

    private RunConfig Config(int maxSteps, int batchSize = 4) => TestConfigs.Tiny(_data.Meta.VocabSize) with
    {
        Training = TestConfigs.Tiny(_data.Meta.VocabSize).Training with
        {
            MaxSteps = maxSteps, LrDecaySteps = 10, BatchSize = batchSize, GlobalBatchSize = 12, EvalInterval = 0, CheckpointInterval = 5,
        },
    };

    [Theory]
    [InlineData(2, 4)]
    [InlineData(3, 4)]
    [InlineData(5, 2)]
    public async Task Twelve_sequences_per_step_train_the_same_model_on_any_number_of_workers(int worldSize, int batchSize)
    {
        // One worker feeds 12 as three micro-batches of 4. Five workers with batch 2 take 2, 2, 3, 2, 3 sequences, the
        // shares of 3 as micro-batches of 1 and 2: uneven shares and uneven micro-batches, weighted to the same mean.
        var (single, expected) = await GroupTraining.Run(Config(5), _data, _temp.Sub("world1"), 1, new ListLogger());
        var (results, parameters) = await GroupTraining.Run(Config(5, batchSize), _data, _temp.Sub($"world{worldSize}"), worldSize, new ListLogger());

        var difference = ParameterSnapshot.MaxRelativeDifference(expected[0], parameters[0]);
        Assert.True(difference < Tolerance, $"world {worldSize}: parameters differ by {difference} (relative)");
        Assert.All(parameters, p => Assert.Equal(0.0, ParameterSnapshot.MaxDifference(parameters[0], p)));
        Assert.Equal(single[0].FinalTrainLoss!.Value, results[0].FinalTrainLoss!.Value, 5);
        Assert.Equal(5L * 12 * 16, results[0].TokensSeen);
    }

    [Fact]
    public async Task A_run_resumed_on_more_workers_keeps_its_global_batch_and_its_course()
    {
        var (_, expected) = await GroupTraining.Run(Config(10), _data, _temp.Sub("straight"), 1, new ListLogger());

        await GroupTraining.Run(Config(5), _data, _temp.Sub("elastic"), 2, new ListLogger());
        var logger = new ListLogger();
        var (results, parameters) = await GroupTraining.Run(Config(10), _data, _temp.Sub("elastic"), 3, logger, resume: true);

        Assert.Contains(logger.Lines, l => l.Message.Contains("resumed from") && l.Message.Contains("at step 5"));
        Assert.DoesNotContain(logger.Lines, l => l.Level == LogLevel.Warning);
        Assert.Equal(10, results[0].Steps);
        var difference = ParameterSnapshot.MaxRelativeDifference(expected[0], parameters[0]);
        Assert.True(difference < Tolerance, $"2 then 3 workers differ from 1 worker by {difference} (relative)");
    }

    [Fact]
    public async Task A_global_batch_smaller_than_the_world_fails_before_training()
    {
        var config = Config(5) with { Training = Config(5).Training with { GlobalBatchSize = 2 } };
        var error = await Assert.ThrowsAsync<InvalidRunConfigException>(
            () => GroupTraining.Run(config, _data, _temp.Sub("too-small"), 3, new ListLogger()));
        Assert.Contains("global_batch_size = 2", error.Message);
    }

    [Fact]
    public void Without_a_global_batch_size_it_is_world_times_batch_times_accumulation()
    {
        var options = new TrainingOptions { BatchSize = 3, GradAccumSteps = 2 };
        Assert.Equal(24, options.EffectiveGlobalBatchSize(4));
        Assert.Equal(10, (options with { GlobalBatchSize = 10 }).EffectiveGlobalBatchSize(4));
    }

    public void Dispose()
    {
        _data.Dispose();
        _temp.Dispose();
    }
}
