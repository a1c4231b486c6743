using Orchestrator.Data;
using Orchestrator.Data.Tokenizers;
using Orchestrator.Models;
using Orchestrator.Training.Checkpoints;
using static TorchSharp.torch;

namespace Orchestrator.Training.Pretrained;

/// <summary>
/// Weights to start from: a Hugging Face GPT-2 directory or one of our checkpoints (a run directory means its latest).
/// It knows the architecture (from config.json), the tokenizer the weights read, the SHA-256 of its weights file, and
/// loads itself into a model built from that architecture. Optimizer state and step never come along: this is not resume.
/// </summary>
public sealed class PretrainedModel
{
    private readonly Checkpoint? _checkpoint;
    private string? _sha256;

    private PretrainedModel(string directory, string format, ModelConfig config, Checkpoint? checkpoint) =>
        (Directory, Format, Config, _checkpoint) = (directory, format, config, checkpoint);

    /// <summary>The directory the weights are in (a checkpoint's own step directory, not the run's).</summary>
    public string Directory { get; }

    /// <summary><see cref="BaseModelReference.HfGpt2"/> or <see cref="BaseModelReference.Checkpoint"/>.</summary>
    public string Format { get; }

    /// <summary>The architecture, as our model configuration.</summary>
    public ModelConfig Config { get; }

    public string WeightsPath => Path.Combine(Directory, Format == BaseModelReference.HfGpt2 ? HfGpt2Directory.WeightsFile : CheckpointFiles.Model);

    /// <summary>SHA-256 of the weights file (a checkpoint's comes from its verified manifest).</summary>
    public string Sha256 => _sha256 ??= _checkpoint is null
        ? CheckpointManifest.Sha256Of(WeightsPath)
        : _checkpoint.Manifest.Files.First(f => f.Name == CheckpointFiles.Model).Sha256;

    public BaseModelReference Reference => new() { Path = Directory, Format = Format, Sha256 = Sha256 };

    /// <summary>Opens <paramref name="path"/>; throws <see cref="PretrainedModelException"/> when it is neither kind of model.</summary>
    public static PretrainedModel Open(string path)
    {
        var full = Path.GetFullPath(path);
        if (HfGpt2Directory.Is(full))
        {
            var config = HfGpt2Directory.ReadConfig(full);
            HfGpt2Directory.CheckWeights(full, config); // names and shapes from the header: a bad file fails before anything is built
            return new PretrainedModel(full, BaseModelReference.HfGpt2, config, null);
        }
        Checkpoint checkpoint;
        try
        {
            checkpoint = Checkpoint.Load(full);
        }
        catch (CheckpointNotFoundException e)
        {
            throw new PretrainedModelException(
                $"'{path}' is neither a Hugging Face GPT-2 directory (config.json and model.safetensors) nor one of our checkpoints or run directories ({e.Message})");
        }
        if (checkpoint.Config.Model.Lora is not null)
            throw new PretrainedModelException(
                $"'{checkpoint.Directory}' holds LoRA adapters, not a whole model: fold them in with `orchestrator export {checkpoint.Directory} --format hf --merge --out DIR` and start from DIR");
        return new PretrainedModel(checkpoint.Directory, BaseModelReference.Checkpoint, checkpoint.Config.Model, checkpoint);
    }

    /// <summary>
    /// Throws <see cref="CheckpointMismatchException"/> when <paramref name="expected"/> recorded other weights than
    /// these (the base was replaced since the run started). <paramref name="user"/> names who depends on it.
    /// </summary>
    public void EnsureSame(BaseModelReference expected, string user)
    {
        if (expected.Format is { } format && format != Format)
            throw new CheckpointMismatchException($"{user} names base model '{expected.Path}' as {format}, but it is a {Format} model: fix init_from's format or path");
        if (expected.Sha256 is { } sha && !string.Equals(sha, Sha256, StringComparison.OrdinalIgnoreCase))
            throw new CheckpointMismatchException(
                $"{user} was trained on the base model '{expected.Path}' whose weights had sha256 {sha}, but '{WeightsPath}' now has sha256 {Sha256}: " +
                "put the original base model back there");
    }

    /// <summary>Copies every weight into <paramref name="model"/> (built from <see cref="Config"/>, possibly with adapters and a shorter block_size), all or nothing.</summary>
    public void LoadInto(LanguageModel model)
    {
        using var scope = NewDisposeScope();
        var weights = Format == BaseModelReference.HfGpt2
            ? HfGpt2Directory.ReadWeights(Directory, Config)
            : SafetensorsReader.Open(WeightsPath).ReadAll();
        PretrainedWeights.CopyInto(model, weights, WeightsPath);
    }

    /// <summary>The tokenizer these weights read: GPT-2's for a Hugging Face GPT-2, the checkpoint's own otherwise.</summary>
    public ITextTokenizer LoadTokenizer() =>
        _checkpoint?.LoadTokenizer() ?? TokenizerFactory.Create(new TokenizerOptions { Kind = TokenizerKind.Gpt2 }, []);

    /// <summary>
    /// Throws <see cref="PretrainedModelException"/> unless <paramref name="data"/> was tokenized as these weights expect:
    /// GPT-2's tokenizer for a Hugging Face GPT-2, byte-identical tokenizer files for a checkpoint.
    /// </summary>
    public void EnsureTokenizerMatches(PreparedDataset data)
    {
        if (_checkpoint is null)
        {
            if (data.Meta.Tokenizer != TokenizerKind.Gpt2)
                throw new PretrainedModelException(
                    $"--init-from '{Directory}' is a Hugging Face GPT-2, which reads GPT-2's token ids, but '{data.Directory}' was prepared with the {data.Meta.Tokenizer} tokenizer: prepare it again with `--tokenizer gpt2`");
            return;
        }
        var ours = TokenizerStore.FilesIn(Directory);
        var theirs = TokenizerStore.FilesIn(data.Directory);
        var first = ours.Concat(theirs).Distinct().FirstOrDefault(name =>
            !ours.Contains(name) || !theirs.Contains(name)
            || !File.ReadAllBytes(Path.Combine(Directory, name)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(data.Directory, name))));
        if (first is not null)
            throw new PretrainedModelException(
                $"--init-from checkpoint '{Directory}' was trained with the {_checkpoint.Config.Model.VocabSize}-id vocabulary in '{Path.Combine(Directory, first)}', " +
                $"but '{data.Directory}' was prepared with a different one ('{Path.Combine(data.Directory, first)}', {data.Meta.Tokenizer}, {data.Meta.VocabSize} ids): " +
                "the token ids would mean other text. Prepare the data with the checkpoint's tokenizer (gpt2 is the same everywhere; bpe and char are learned per corpus)");
    }
}
