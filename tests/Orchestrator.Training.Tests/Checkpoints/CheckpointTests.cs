using Orchestrator.Data;
using Orchestrator.Models;
using Orchestrator.Training.Checkpoints;
using Orchestrator.Training.Optimization;
using Orchestrator.Training.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;
using Orchestrator.Inference;

namespace Orchestrator.Training.Tests.Checkpoints;

public sealed class CheckpointTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly PreparedDataset _data;
    private readonly RunConfig _config;
    private readonly LanguageModel _model;
    private readonly AdamW _optimizer;

    public CheckpointTests()
    {
        _data = TinyDatasets.Words(_temp.Sub("data"), trainChars: 500, valChars: 200);
        _config = TestConfigs.Tiny(_data.Meta.VocabSize);
        manual_seed(5);
        _model = ModelFactory.Create(_config.Model);
        _optimizer = new AdamW(_model.named_parameters().Select(p => (p.name, p.parameter)), 0.9, 0.95, 1e-8, 0.1);
    }

    private string RunDirectory => _temp.Sub("run");
    private CheckpointStore Store => CheckpointStore.ForRun(RunDirectory);

    private string Write(long step, bool best = false)
    {
        var directory = new CheckpointWriter(Store.Directory).Write(
            new CheckpointContent(_model, _optimizer, new TrainerState { Step = step, DataPosition = step }, _config, _data.Directory));
        Store.Publish(directory, best);
        return directory;
    }

    [Fact]
    public void Save_then_load_gives_identical_logits()
    {
        Write(10);
        using var input = tensor(new long[] { 1, 2, 3, 4, 5, 6, 7, 8 }).reshape(2, 4);
        _model.eval();
        using var expected = _model.call(input);

        using var loaded = TrainedModel.Load(RunDirectory);
        using var actual = loaded.Model.call(input);

        Assert.Equal(expected.data<float>().ToArray(), actual.data<float>().ToArray());
        Assert.Equal(10, loaded.Checkpoint!.Step);
        Assert.Equal(_config, loaded.Config);
        Assert.Equal(_data.Tokenizer.VocabSize, loaded.Tokenizer.VocabSize);
    }

    [Fact]
    public void Checkpoint_holds_every_documented_file_in_its_manifest()
    {
        var directory = Write(10);
        var manifest = CheckpointManifest.Verify(directory);
        var names = manifest.Files.Select(f => f.Name).ToArray();
        Assert.Contains(CheckpointFiles.Model, names);
        Assert.Contains(CheckpointFiles.OptimizerMoments, names);
        Assert.Contains(CheckpointFiles.OptimizerState, names);
        Assert.Contains(CheckpointFiles.TrainerState, names);
        Assert.Contains(CheckpointFiles.Config, names);
        Assert.All(_data.Meta.TokenizerFiles, f => Assert.Contains(Path.GetFileName(f), names));
        Assert.All(manifest.Files, f => Assert.Equal(new FileInfo(Path.Combine(directory, f.Name)).Length, f.Size));
        Assert.Equal("step-00000010", Path.GetFileName(directory));
        Assert.Equal(directory, Store.Latest);
    }

    [Theory]
    [InlineData(CheckpointFiles.OptimizerMoments)]
    [InlineData(CheckpointFiles.TrainerState)]
    public void A_missing_file_fails_naming_the_file(string victim)
    {
        var directory = Write(10);
        File.Delete(Path.Combine(directory, victim));
        var error = Assert.Throws<CorruptCheckpointException>(() => Checkpoint.Load(RunDirectory));
        Assert.Contains($"'{victim}' is missing", error.Message);
    }

    [Fact]
    public void An_altered_file_fails_naming_the_file()
    {
        var directory = Write(10);
        var path = Path.Combine(directory, CheckpointFiles.Model);
        var bytes = File.ReadAllBytes(path);
        bytes[^3] ^= 0x40; // one bit of one weight: same size, different content
        File.WriteAllBytes(path, bytes);
        var error = Assert.Throws<CorruptCheckpointException>(() => Checkpoint.Load(RunDirectory));
        Assert.Contains($"'{CheckpointFiles.Model}'", error.Message);
        Assert.Contains("SHA-256", error.Message);
    }

    [Fact]
    public void An_interrupted_write_is_never_taken_for_a_checkpoint_and_is_cleaned_up()
    {
        var complete = Write(10);
        // A crash after the files but before the manifest leaves a temporary sibling holding everything but manifest.json.
        var interrupted = Path.Combine(Store.Directory, ".tmp-step-00000020-crashed");
        Directory.CreateDirectory(interrupted);
        foreach (var file in Directory.EnumerateFiles(complete).Where(f => Path.GetFileName(f) != CheckpointManifest.FileName))
            File.Copy(file, Path.Combine(interrupted, Path.GetFileName(file)));

        Assert.Equal(complete, Store.Latest);
        Assert.Equal([10L], Store.Steps());
        Assert.Equal(10, Checkpoint.Load(RunDirectory).Step);
        var error = Assert.Throws<CorruptCheckpointException>(() => Checkpoint.Load(interrupted));
        Assert.Contains("manifest.json is missing", error.Message);

        Store.ApplyRetention(keepLast: 3);
        Assert.False(Directory.Exists(interrupted));
        Assert.True(Directory.Exists(complete));
    }

    [Fact]
    public void A_cancelled_write_leaves_no_checkpoint_and_no_temporary_directory()
    {
        Write(10);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Throws<OperationCanceledException>(() => new CheckpointWriter(Store.Directory).Write(
            new CheckpointContent(_model, _optimizer, new TrainerState { Step = 20 }, _config, _data.Directory), cancelled.Token));
        Assert.Equal([10L], Store.Steps());
        Assert.Empty(Directory.EnumerateDirectories(Store.Directory, ".tmp-*"));
        Assert.Equal(10, Checkpoint.Load(RunDirectory).Step);
    }

    [Fact]
    public void Retention_keeps_the_last_K_and_the_best()
    {
        foreach (var step in new long[] { 10, 20, 30, 40, 50, 60 }) Write(step, best: step == 20);
        var removed = Store.ApplyRetention(keepLast: 2);
        Assert.Equal([20L, 50L, 60L], Store.Steps());
        Assert.Equal(3, removed.Count);
        Assert.Equal(Path.Combine(Store.Directory, "step-00000020"), Store.Best);
        Assert.Equal(Path.Combine(Store.Directory, "step-00000060"), Store.Latest);
        Assert.Equal(20, Checkpoint.Load(Path.Combine(Store.Directory, CheckpointFiles.BestPointer)).Step);
    }

    [Fact]
    public void Loading_into_a_different_model_fails_naming_the_mismatch()
    {
        Write(10);
        manual_seed(1);
        using var wider = ModelFactory.Create(_config.Model with { NEmbd = 48 });
        var error = Assert.Throws<CheckpointMismatchException>(() => Checkpoint.Load(RunDirectory).LoadModelWeights(wider));
        Assert.Contains("shape", error.Message);
        Assert.Contains("config.json", error.Message);
    }

    [Fact]
    public void A_snapshot_is_a_copy_that_later_steps_cannot_change()
    {
        TrainOneStep();
        var weights = ParameterSnapshot.Of(_model);
        var moments = CopyMoments();
        var snapshot = CheckpointSnapshot.Capture(
            new CheckpointContent(_model, _optimizer, new TrainerState { Step = 1, DataPosition = 1 }, _config, _data.Directory));

        TrainOneStep(); // what training does while the snapshot is being written
        Assert.True(ParameterSnapshot.MaxDifference(weights, ParameterSnapshot.Of(_model)) > 1e-5);
        var directory = new CheckpointWriter(Store.Directory).Write(snapshot);

        var checkpoint = Checkpoint.Load(directory);
        manual_seed(9);
        using var restored = ModelFactory.Create(_config.Model);
        checkpoint.LoadModelWeights(restored);
        Assert.Equal(0.0, ParameterSnapshot.MaxDifference(weights, ParameterSnapshot.Of(restored)));
        using var restoredOptimizer = new AdamW(restored.named_parameters().Select(p => (p.name, p.parameter)), 0.9, 0.95, 1e-8, 0.1);
        checkpoint.LoadOptimizerState(restoredOptimizer);
        Assert.Equal(1, restoredOptimizer.StepCount);
        var restoredMoments = CopyMoments(restoredOptimizer);
        Assert.Equal(moments.Keys.Order(), restoredMoments.Keys.Order());
        Assert.All(moments, kv => Assert.Equal(kv.Value, restoredMoments[kv.Key]));
    }

    [Fact]
    public void A_snapshot_refills_the_buffers_of_one_already_written_with_the_current_weights()
    {
        CheckpointContent At(long step) => new(_model, _optimizer, new TrainerState { Step = step, DataPosition = step }, _config, _data.Directory);
        TrainOneStep();
        var first = CheckpointSnapshot.Capture(At(1));
        new CheckpointWriter(Store.Directory).Write(first);
        TrainOneStep();
        var weights = ParameterSnapshot.Of(_model);

        var second = CheckpointSnapshot.Capture(At(2), reuse: first);
        var directory = new CheckpointWriter(Store.Directory).Write(second);

        Assert.All(second.Weights.Concat(second.Moments).Zip(first.Weights.Concat(first.Moments)), pair => Assert.Same(pair.Second.Data, pair.First.Data));
        manual_seed(9);
        using var restored = ModelFactory.Create(_config.Model);
        Checkpoint.Load(directory).LoadModelWeights(restored);
        Assert.Equal(0.0, ParameterSnapshot.MaxDifference(weights, ParameterSnapshot.Of(restored)));
        Assert.Equal(1, Checkpoint.Load(Path.Combine(Store.Directory, CheckpointFiles.DirectoryName(1))).Step);
    }

    [Fact]
    public void Weights_and_moments_files_are_byte_identical_to_PyBridge_safetensors()
    {
        TrainOneStep();
        var directory = Write(1);
        using var scope = NewDisposeScope();

        var weights = new MemoryStream();
        TorchSharp.PyBridge.Safetensors.SaveStateDict(weights, _model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().cpu().contiguous()), leaveOpen: true);
        Assert.Equal(weights.ToArray(), File.ReadAllBytes(Path.Combine(directory, CheckpointFiles.Model)));

        var moments = new MemoryStream();
        TorchSharp.PyBridge.Safetensors.SaveStateDict(moments, _optimizer.MomentsToCpu(), leaveOpen: true);
        Assert.Equal(moments.ToArray(), File.ReadAllBytes(Path.Combine(directory, CheckpointFiles.OptimizerMoments)));
    }

    [Fact]
    public void A_complete_checkpoint_without_a_latest_pointer_is_found_for_resuming()
    {
        Write(10);
        var second = Write(20);
        // A crash between renaming the directory into place and writing the pointer.
        File.Delete(Path.Combine(Store.Directory, CheckpointFiles.LatestPointer));
        var logger = new ListLogger();

        Assert.Equal(second, Store.LatestValid(logger)!.Directory);
        Assert.Empty(logger.Lines);
        Assert.Null(new CheckpointStore(_temp.Sub("empty")).LatestValid(logger));
    }

    private void TrainOneStep()
    {
        using var scope = NewDisposeScope();
        _model.train();
        using var input = tensor(new long[] { 1, 2, 3, 4, 5, 6, 7, 8 }).reshape(2, 4);
        var logits = _model.call(input);
        var loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[^1]), input.roll(-1, 1).reshape(-1));
        loss.backward();
        _optimizer.Step(1e-2);
        foreach (var p in _model.parameters()) p.grad?.zero_();
    }

    private Dictionary<string, float[]> CopyMoments(AdamW? optimizer = null)
    {
        using var scope = NewDisposeScope();
        return (optimizer ?? _optimizer).MomentsToCpu().ToDictionary(kv => kv.Key, kv => kv.Value.data<float>().ToArray());
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        _model.Dispose();
        _data.Dispose();
        _temp.Dispose();
    }
}
