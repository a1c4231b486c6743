using Orchestrator.Data;
using Orchestrator.Training.Checkpoints;
using Orchestrator.Training.Distributed;
using Orchestrator.Training.Progress;
using Orchestrator.Training.Tests.TestSupport;
using Orchestrator.Inference;

namespace Orchestrator.Training.Tests.Checkpoints;

/// <summary>The trainer writes checkpoints in the background: what it writes, and what happens when writing fails.</summary>
public sealed class BackgroundCheckpointTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly PreparedDataset _data;

    public BackgroundCheckpointTests()
    {
        _data = TinyDatasets.Words(_temp.Sub("data"));
    }

    private string Run => _temp.Sub("run");
    private CheckpointStore Store => CheckpointStore.ForRun(Run);
    private string StepDirectory(long step) => Path.Combine(Store.Directory, CheckpointFiles.DirectoryName(step));

    private RunConfig Config(int maxSteps)
    {
        var tiny = TestConfigs.Tiny(_data.Meta.VocabSize);
        return tiny with { Training = tiny.Training with { MaxSteps = maxSteps, LrDecaySteps = 30, KeepLastCheckpoints = 3 } };
    }

    [Fact]
    public async Task A_checkpoint_holds_the_weights_of_its_step_although_training_goes_on_while_it_is_written()
    {
        Dictionary<string, float[]>? afterStepTen = null;
        var announced = new List<CheckpointWritten>();
        Trainer? trainer = null;
        // The step report comes before the checkpoint of the same step, on the training thread, between two steps.
        var progress = new SynchronousProgress<TrainingProgress>(p =>
        {
            if (p.Step == 10 && p.Evaluation is null) afterStepTen = ParameterSnapshot.Of(trainer!.Model);
        });
        var checkpoints = new SynchronousProgress<CheckpointWritten>(announced.Add);
        using (trainer = new Trainer(Config(20), _data, Run, SingleProcessSynchronizer.Instance, new ListLogger(), progress, checkpoints: checkpoints))
        {
            await trainer.RunAsync(CancellationToken.None);
            using var saved = TrainedModel.Load(StepDirectory(10));
            var atTen = ParameterSnapshot.Of(saved.Model);

            Assert.Equal(0.0, ParameterSnapshot.MaxDifference(afterStepTen!, atTen));
            Assert.True(ParameterSnapshot.MaxDifference(atTen, ParameterSnapshot.Of(trainer.Model)) > 1e-4, "steps 11-20 should have moved the weights");
        }
        Assert.Equal([10L, 20], announced.Select(c => c.Step));
        Assert.All(announced, c => Assert.True(c.StallSeconds > 0 && c.Seconds > 0, $"step {c.Step}: stall {c.StallSeconds} s, write {c.Seconds} s"));
        Assert.Equal(StepDirectory(20), Store.Latest);
    }

    [Fact]
    public async Task A_failed_background_write_fails_the_run_at_its_end_and_the_previous_checkpoint_stays_latest()
    {
        // A file where step 20's directory must go makes the rename that publishes it fail.
        Directory.CreateDirectory(Store.Directory);
        File.WriteAllText(StepDirectory(20), "in the way");
        using var trainer = new Trainer(Config(20), _data, Run, SingleProcessSynchronizer.Instance, new ListLogger());

        var error = await Assert.ThrowsAsync<CheckpointWriteException>(() => trainer.RunAsync(CancellationToken.None));

        Assert.Contains($"checkpoint step 20 could not be written to '{StepDirectory(20)}'", error.Message);
        Assert.Contains($"is '{CheckpointFiles.DirectoryName(10)}'", error.Message);
        Assert.IsAssignableFrom<IOException>(error.InnerException);
        Assert.Equal(StepDirectory(10), Store.Latest);
        Assert.Equal(10, Checkpoint.Load(Run).Step);
        Assert.Empty(Directory.EnumerateDirectories(Store.Directory, CheckpointFiles.TemporaryPrefix + "*"));
    }

    [Fact]
    public async Task A_failed_background_write_fails_the_run_at_the_next_checkpoint_before_it_is_taken()
    {
        Directory.CreateDirectory(Store.Directory);
        File.WriteAllText(StepDirectory(20), "in the way");
        using var trainer = new Trainer(Config(30), _data, Run, SingleProcessSynchronizer.Instance, new ListLogger());

        var error = await Assert.ThrowsAsync<CheckpointWriteException>(() => trainer.RunAsync(CancellationToken.None));

        Assert.Contains($"'{StepDirectory(20)}'", error.Message);
        Assert.Equal([10L], Store.Steps());
        Assert.Equal(StepDirectory(10), Store.Latest);
    }

    [Fact]
    public async Task A_run_cancelled_while_a_checkpoint_is_being_written_still_publishes_it()
    {
        using var cancel = new CancellationTokenSource();
        var config = Config(20) with { Training = Config(20).Training with { LogInterval = 1 } };
        // Cancelled on the report right after the step-10 checkpoint was handed to the background task.
        var progress = new SynchronousProgress<TrainingProgress>(p => { if (p.Step == 11) cancel.Cancel(); });
        using var trainer = new Trainer(config, _data, Run, SingleProcessSynchronizer.Instance, new ListLogger(), progress);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => trainer.RunAsync(cancel.Token));

        Assert.Equal(StepDirectory(10), Store.Latest);
        Assert.Equal(10, Checkpoint.Load(Run).Step);
        Assert.Empty(Directory.EnumerateDirectories(Store.Directory, CheckpointFiles.TemporaryPrefix + "*"));
    }

    public void Dispose()
    {
        _data.Dispose();
        _temp.Dispose();
    }
}
