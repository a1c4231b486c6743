using System.Text.Json;
using Orchestrator.Data.Tokenizers;
using Orchestrator.Models;
using Orchestrator.Models.Lora;
using Orchestrator.Training.Pretrained;
using Orchestrator.Training.Optimization;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Orchestrator.Training.Checkpoints;

/// <summary>
/// A verified checkpoint on disk. <see cref="Load"/> checks the manifest before anything else is read, so a
/// truncated or altered file is reported by name instead of surfacing as a shape error or silently wrong weights.
/// </summary>
public sealed class Checkpoint
{
    private Checkpoint(string directory, CheckpointManifest manifest, RunConfig config, TrainerState state)
    {
        (Directory, Manifest, Config, State) = (directory, manifest, config, state);
    }

    public string Directory { get; }
    public CheckpointManifest Manifest { get; }
    public RunConfig Config { get; }
    public TrainerState State { get; }
    public long Step => State.Step;

    /// <summary>
    /// Verifies and opens a checkpoint. <paramref name="path"/> may be a checkpoint directory, a <c>latest</c>/<c>best</c>
    /// pointer file, a run's <c>checkpoints/</c> directory or a run directory (both meaning <c>latest</c>).
    /// </summary>
    public static Checkpoint Load(string path)
    {
        var directory = Resolve(path);
        var manifest = CheckpointManifest.Verify(directory);
        var config = ReadJson<RunConfig>(directory, CheckpointFiles.Config, RunConfig.JsonOptions);
        var state = ReadJson<TrainerState>(directory, CheckpointFiles.TrainerState, CheckpointWriter.JsonOptions);
        return new Checkpoint(directory, manifest, config, state);
    }

    /// <summary>Finds the checkpoint directory <paramref name="path"/> designates (see <see cref="Load"/>).</summary>
    public static string Resolve(string path)
    {
        var full = Path.GetFullPath(path);
        if (File.Exists(full))
        {
            var pointerStore = new CheckpointStore(Path.GetDirectoryName(full)!);
            return Path.GetFileName(full) switch
            {
                CheckpointFiles.LatestPointer => pointerStore.Latest!,
                CheckpointFiles.BestPointer => pointerStore.Best!,
                _ => throw new CheckpointNotFoundException($"'{path}' is a file but not a checkpoint pointer: pass a checkpoint directory or its '{CheckpointFiles.LatestPointer}'/'{CheckpointFiles.BestPointer}' file"),
            };
        }
        if (!System.IO.Directory.Exists(full))
            throw new CheckpointNotFoundException($"checkpoint path '{path}' does not exist: pass a run directory, its checkpoints/ directory or a step-NNNNNNNN directory");
        if (LooksLikeCheckpoint(full)) return full;
        foreach (var store in new[] { new CheckpointStore(full), CheckpointStore.ForRun(full) })
        {
            if (store.Latest is { } latest) return latest;
        }
        throw new CheckpointNotFoundException($"'{path}' holds no checkpoint: there is no checkpoints/latest pointer in it (has the run written one yet?)");
    }

    /// <summary>A checkpoint directory, complete or not (verification then says what is missing), as opposed to a run or checkpoints directory.</summary>
    private static bool LooksLikeCheckpoint(string directory)
    {
        var name = Path.GetFileName(directory);
        return CheckpointFiles.StepOf(name) is not null
               || name.StartsWith(CheckpointFiles.TemporaryPrefix, StringComparison.Ordinal)
               || File.Exists(Path.Combine(directory, CheckpointManifest.FileName))
               || File.Exists(Path.Combine(directory, CheckpointFiles.Model));
    }

    /// <summary>
    /// Copies the saved weights into <paramref name="model"/> (any device); every name must match. A LoRA checkpoint holds
    /// only adapters: its base model is loaded first from <c>init_from</c>, after checking it is the one trained on.
    /// </summary>
    public void LoadModelWeights(LanguageModel model)
    {
        var path = Path.Combine(Directory, CheckpointFiles.Model);
        Func<string, bool> saved = _ => true;
        if (Config.Model.Lora is not null)
        {
            var reference = Config.InitFrom ?? throw new CorruptCheckpointException(
                $"checkpoint '{Directory}' holds LoRA adapters but its {CheckpointFiles.Config} names no base model (init_from)");
            PretrainedModel pretrained;
            try
            {
                pretrained = PretrainedModel.Open(reference.Path);
            }
            catch (Exception e) when (e is PretrainedModelException or CheckpointNotFoundException or CorruptCheckpointException)
            {
                throw new CheckpointMismatchException(
                    $"checkpoint '{Directory}' holds LoRA adapters for the base model '{reference.Path}', which cannot be opened ({e.Message}); put the base model back there");
            }
            pretrained.EnsureSame(reference, $"checkpoint '{Directory}'");
            pretrained.LoadInto(model);
            saved = LoraWeights.IsAdapter;
        }
        using var scope = NewDisposeScope();
        var tensors = Safetensors.LoadStateDict(path);
        var expected = model.state_dict().Where(kv => saved(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value);
        var missing = expected.Keys.Except(tensors.Keys).ToArray();
        var unexpected = tensors.Keys.Except(expected.Keys).ToArray();
        if (missing.Length > 0 || unexpected.Length > 0)
            throw new CheckpointMismatchException(
                $"'{path}' does not fit this model: missing [{string.Join(", ", missing)}], unexpected [{string.Join(", ", unexpected)}]; build the model from the checkpoint's config.json");
        foreach (var (name, target) in expected)
        {
            if (!tensors[name].shape.SequenceEqual(target.shape))
                throw new CheckpointMismatchException(
                    $"'{path}' tensor '{name}' has shape [{string.Join(", ", tensors[name].shape)}] but the model needs [{string.Join(", ", target.shape)}]; build the model from the checkpoint's config.json");
        }
        using var noGrad = no_grad();
        foreach (var (name, target) in expected) target.copy_(tensors[name]);
    }

    /// <summary>
    /// What a checkpoint saves of <paramref name="model"/>: its whole state dict, or only the adapters when it has LoRA
    /// adapters (the frozen base stays in the base model's own file).
    /// </summary>
    public static IEnumerable<KeyValuePair<string, Tensor>> SavedWeights(LanguageModel model) =>
        model.Config.Lora is null ? model.state_dict() : model.state_dict().Where(kv => LoraWeights.IsAdapter(kv.Key));

    /// <summary>Restores AdamW moments and step count.</summary>
    public void LoadOptimizerState(AdamW optimizer)
    {
        var state = ReadJson<OptimizerStateFile>(Directory, CheckpointFiles.OptimizerState, CheckpointWriter.JsonOptions);
        var path = Path.Combine(Directory, CheckpointFiles.OptimizerMoments);
        using var scope = NewDisposeScope();
        optimizer.Restore(Safetensors.LoadStateDict(path), state.StepCount, path);
    }

    /// <summary>PowerSGD's saved tensors (see <see cref="CheckpointFiles.Compressor"/>), or null when the run did not use it.</summary>
    public Dictionary<string, Tensor>? LoadCompressorState()
    {
        var path = Path.Combine(Directory, CheckpointFiles.Compressor);
        return File.Exists(path) ? Safetensors.LoadStateDict(path) : null;
    }

    /// <summary>The tokenizer the model was trained with (copied from the prepared data into the checkpoint).</summary>
    public ITextTokenizer LoadTokenizer() => TokenizerStore.Load(Directory);

    private static T ReadJson<T>(string directory, string fileName, JsonSerializerOptions options)
    {
        var path = Path.Combine(directory, fileName);
        if (!File.Exists(path))
            throw new CorruptCheckpointException($"checkpoint '{directory}' is damaged: file '{fileName}' is missing");
        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllText(path), options)
                   ?? throw new CorruptCheckpointException($"checkpoint '{directory}': file '{fileName}' is empty");
        }
        catch (JsonException e)
        {
            throw new CorruptCheckpointException($"checkpoint '{directory}': file '{fileName}' is not valid JSON ({e.Message})");
        }
    }
}
