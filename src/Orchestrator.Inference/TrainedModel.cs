using Orchestrator.Data.Tokenizers;
using Orchestrator.Models;
using Orchestrator.Training.Pretrained;
using TorchSharp;
using static TorchSharp.torch;
using Orchestrator.Training;
using Orchestrator.Training.Checkpoints;

namespace Orchestrator.Inference;

/// <summary>
/// A trained model ready for evaluation, generation or serving: the network rebuilt from the checkpoint's
/// <c>config.json</c> with its weights (a LoRA checkpoint's base plus its adapters), in eval mode on the requested
/// device, and the tokenizer it was trained with. A Hugging Face GPT-2 directory works too, with GPT-2's tokenizer.
/// Owns the model's native memory: dispose it.
/// </summary>
public sealed class TrainedModel : IDisposable
{
    private TrainedModel(LanguageModel model, ITextTokenizer tokenizer, string directory, RunConfig config, Checkpoint? checkpoint, Device device)
    {
        (Model, Tokenizer, Directory, Config, Checkpoint, Device) = (model, tokenizer, directory, config, checkpoint, device);
    }

    public LanguageModel Model { get; }
    public ITextTokenizer Tokenizer { get; }

    /// <summary>Where the weights came from: the checkpoint directory, or the Hugging Face model directory.</summary>
    public string Directory { get; }

    /// <summary>The checkpoint loaded; null for a Hugging Face model directory.</summary>
    public Checkpoint? Checkpoint { get; }

    /// <summary>The run configuration (for a Hugging Face directory, its architecture with default training options).</summary>
    public RunConfig Config { get; }

    public Device Device { get; }

    /// <summary>
    /// Loads from any path <see cref="Orchestrator.Training.Checkpoints.Checkpoint.Load"/> accepts (a run directory means its latest checkpoint)
    /// or from a Hugging Face GPT-2 directory (config.json and model.safetensors).
    /// </summary>
    public static TrainedModel Load(string path, Device? device = null)
    {
        device ??= CPU;
        if (HfGpt2Directory.Is(Path.GetFullPath(path))) return LoadPretrained(PretrainedModel.Open(path), device);
        var checkpoint = Checkpoint.Load(path);
        var tokenizer = checkpoint.LoadTokenizer();
        if (tokenizer.VocabSize > checkpoint.Config.Model.VocabSize)
            throw new CheckpointMismatchException(
                $"checkpoint '{checkpoint.Directory}': its tokenizer has {tokenizer.VocabSize} ids but the model only {checkpoint.Config.Model.VocabSize}; the checkpoint mixes files of different runs");
        var model = ModelFactory.Create(checkpoint.Config.Model);
        try
        {
            checkpoint.LoadModelWeights(model);
            model.to(device);
            model.eval();
            return new TrainedModel(model, tokenizer, checkpoint.Directory, checkpoint.Config, checkpoint, device);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static TrainedModel LoadPretrained(PretrainedModel pretrained, Device device)
    {
        var tokenizer = pretrained.LoadTokenizer();
        if (tokenizer.VocabSize > pretrained.Config.VocabSize)
            throw new PretrainedModelException(
                $"'{pretrained.Directory}' has vocab_size {pretrained.Config.VocabSize}, fewer than GPT-2's tokenizer's {tokenizer.VocabSize} ids: it cannot read GPT-2 tokens");
        var model = ModelFactory.Create(pretrained.Config);
        try
        {
            pretrained.LoadInto(model);
            model.to(device);
            model.eval();
            return new TrainedModel(model, tokenizer, pretrained.Directory, new RunConfig { Model = pretrained.Config }, null, device);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    public void Dispose() => Model.Dispose();
}
