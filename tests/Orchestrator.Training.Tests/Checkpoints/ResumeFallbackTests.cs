using Microsoft.Extensions.Logging;
using Orchestrator.Data;
using Orchestrator.Training.Checkpoints;
using Orchestrator.Training.Distributed;
using Orchestrator.Training.Tests.TestSupport;
using Orchestrator.Inference;

namespace Orchestrator.Training.Tests.Checkpoints;

/// <summary>
/// Resuming when <c>latest</c> is damaged: the trainer skips it with a warning and continues from the newest older
/// checkpoint that verifies. Each test trains 20 steps with checkpoints at 10 and 20, then damages step 20.
/// </summary>
public sealed class ResumeFallbackTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly PreparedDataset _data;

    public ResumeFallbackTests()
    {
        _data = TinyDatasets.Words(_temp.Sub("data"));
    }

    private string Run => _temp.Sub("run");
    private CheckpointStore Store => CheckpointStore.ForRun(Run);
    private string StepDirectory(long step) => Path.Combine(Store.Directory, CheckpointFiles.DirectoryName(step));

    /// <summary>Dropout on, so an exact continuation also needs the right random streams.</summary>
    private RunConfig Config(int maxSteps, int keepLast = 2)
    {
        var tiny = TestConfigs.Tiny(_data.Meta.VocabSize, dropout: 0.1);
        return tiny with { Training = tiny.Training with { MaxSteps = maxSteps, LrDecaySteps = 20, KeepLastCheckpoints = keepLast } };
    }

    private async Task<(TrainingResult Result, Dictionary<string, float[]> Parameters)> Train(RunConfig config, bool resume = false, ILogger? logger = null)
    {
        using var trainer = new Trainer(config, _data, Run, SingleProcessSynchronizer.Instance, logger ?? new ListLogger(), resume: resume);
        var result = await trainer.RunAsync(CancellationToken.None);
        return (result, ParameterSnapshot.Of(trainer.Model));
    }

    private static Dictionary<string, float[]> WeightsOf(string checkpointDirectory)
    {
        using var saved = TrainedModel.Load(checkpointDirectory);
        return ParameterSnapshot.Of(saved.Model);
    }

    /// <summary>Damages step 20 one way; returns a fragment of the reason the warning must give.</summary>
    private string Damage(string kind)
    {
        var latest = StepDirectory(20);
        switch (kind)
        {
            case "flipped weight byte":
                var model = Path.Combine(latest, CheckpointFiles.Model);
                var bytes = File.ReadAllBytes(model);
                bytes[^5] ^= 0x01;
                File.WriteAllBytes(model, bytes);
                return "does not match its SHA-256";
            case "truncated optimizer file":
                var moments = Path.Combine(latest, CheckpointFiles.OptimizerMoments);
                using (var stream = new FileStream(moments, FileMode.Open)) stream.SetLength(stream.Length / 2);
                return $"'{CheckpointFiles.OptimizerMoments}' has";
            case "missing manifest":
                File.Delete(Path.Combine(latest, CheckpointManifest.FileName));
                return "manifest.json is missing";
            case "dangling pointer":
                Directory.Delete(latest, recursive: true);
                return "does not exist";
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown kind of damage");
        }
    }

    [Theory]
    [InlineData("flipped weight byte")]
    [InlineData("truncated optimizer file")]
    [InlineData("missing manifest")]
    [InlineData("dangling pointer")]
    public async Task A_damaged_latest_is_skipped_with_a_warning_and_the_previous_checkpoint_is_resumed(string kind)
    {
        await Train(Config(20));
        var expected = WeightsOf(StepDirectory(10));
        var reason = Damage(kind);
        // best names the damaged step too, so only the resumed-from protection keeps step 10 from retention (keep 1).
        File.WriteAllText(Path.Combine(Store.Directory, CheckpointFiles.BestPointer), CheckpointFiles.DirectoryName(20) + "\n");

        var logger = new ListLogger();
        var (resumed, parameters) = await Train(Config(maxSteps: 10, keepLast: 1), resume: true, logger: logger);

        Assert.Equal(10, resumed.Steps);
        Assert.Equal(0.0, ParameterSnapshot.MaxDifference(expected, parameters));
        var warning = Assert.Single(logger.Lines, l => l.Level == LogLevel.Warning);
        Assert.Contains(StepDirectory(20), warning.Message);
        Assert.Contains(reason, warning.Message);
        Assert.Contains(logger.Lines, l => l.Message.StartsWith($"resumed from {StepDirectory(10)} at step 10", StringComparison.Ordinal));
        Assert.True(Directory.Exists(StepDirectory(10)), "retention deleted the checkpoint the run resumed from");
    }

    [Fact]
    public async Task Continuing_from_the_previous_checkpoint_reproduces_the_uninterrupted_run()
    {
        var (uninterrupted, expected) = await Train(Config(20));
        Damage("flipped weight byte");

        var (resumed, actual) = await Train(Config(20), resume: true);

        Assert.Equal(0.0, ParameterSnapshot.MaxDifference(expected, actual));
        Assert.Equal(uninterrupted.FinalTrainLoss, resumed.FinalTrainLoss);
        // Step 20 was written again over the damaged copy, so latest verifies once more.
        var latest = Checkpoint.Load(Run);
        Assert.Equal(20, latest.Step);
        Assert.Equal(0.0, ParameterSnapshot.MaxDifference(expected, WeightsOf(latest.Directory)));
    }

    [Fact]
    public async Task A_pointer_that_names_no_checkpoint_falls_back_to_the_newest_that_verifies()
    {
        var (_, expected) = await Train(Config(20));
        var pointer = Path.Combine(Store.Directory, CheckpointFiles.LatestPointer);
        File.WriteAllText(pointer, "garbage\n");

        var logger = new ListLogger();
        var checkpoint = Store.LatestValid(logger);

        Assert.Equal(20, checkpoint!.Step);
        Assert.Equal(0.0, ParameterSnapshot.MaxDifference(expected, WeightsOf(checkpoint.Directory)));
        var warning = Assert.Single(logger.Lines, l => l.Level == LogLevel.Warning);
        Assert.Contains(pointer, warning.Message);
        Assert.Contains("'garbage'", warning.Message);
    }

    [Fact]
    public async Task When_no_checkpoint_verifies_resume_fails_naming_every_one_tried()
    {
        await Train(Config(20));
        Damage("flipped weight byte");
        File.Delete(Path.Combine(StepDirectory(10), CheckpointFiles.TrainerState));

        var logger = new ListLogger();
        var error = await Assert.ThrowsAsync<CorruptCheckpointException>(() => Train(Config(20), resume: true, logger: logger));

        Assert.Contains(StepDirectory(20), error.Message);
        Assert.Contains(StepDirectory(10), error.Message);
        Assert.Contains($"'{CheckpointFiles.TrainerState}' is missing", error.Message);
        Assert.Contains("start the run without resume", error.Message);
        Assert.Equal(2, logger.Lines.Count(l => l.Level == LogLevel.Warning));
    }

    public void Dispose()
    {
        _data.Dispose();
        _temp.Dispose();
    }
}
