using Orchestrator.Data.Tokenizers;
using Orchestrator.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Orchestrator.Training.Checkpoints;

/// <summary>
/// A trained model ready for evaluation, generation or serving: the network rebuilt from the checkpoint's
/// <c>config.json</c> with its weights, in eval mode on the requested device, and the tokenizer it was trained with.
/// Owns the model's native memory: dispose it.
/// </summary>
public sealed class TrainedModel : IDisposable
{
    private TrainedModel(LanguageModel model, ITextTokenizer tokenizer, Checkpoint checkpoint, Device device)
    {
        (Model, Tokenizer, Checkpoint, Device) = (model, tokenizer, checkpoint, device);
    }

    public LanguageModel Model { get; }
    public ITextTokenizer Tokenizer { get; }
    public Checkpoint Checkpoint { get; }
    public RunConfig Config => Checkpoint.Config;
    public Device Device { get; }

    /// <summary>Loads from any path <see cref="Checkpoint.Load"/> accepts (a run directory means its latest checkpoint).</summary>
    public static TrainedModel Load(string path, Device? device = null)
    {
        var checkpoint = Checkpoint.Load(path);
        var tokenizer = checkpoint.LoadTokenizer();
        if (tokenizer.VocabSize > checkpoint.Config.Model.VocabSize)
            throw new CheckpointMismatchException(
                $"checkpoint '{checkpoint.Directory}': its tokenizer has {tokenizer.VocabSize} ids but the model only {checkpoint.Config.Model.VocabSize}; the checkpoint mixes files of different runs");
        device ??= CPU;
        var model = ModelFactory.Create(checkpoint.Config.Model);
        try
        {
            model.to(device);
            checkpoint.LoadModelWeights(model);
            model.eval();
            return new TrainedModel(model, tokenizer, checkpoint, device);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    public void Dispose() => Model.Dispose();
}
