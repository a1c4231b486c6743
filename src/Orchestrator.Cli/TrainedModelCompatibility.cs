using Orchestrator.Data;
using Orchestrator.Training.Checkpoints;
using Orchestrator.Inference;

namespace Orchestrator.Cli;

/// <summary>Refuses to evaluate a checkpoint on data tokenized with another tokenizer (the numbers would be meaningless).</summary>
internal static class TrainedModelCompatibility
{
    public static void EnsureMatches(TrainedModel model, PreparedDataset dataset)
    {
        if (model.Tokenizer.Kind != dataset.Tokenizer.Kind || model.Tokenizer.VocabSize != dataset.Tokenizer.VocabSize)
            throw new ArgumentException(
                $"checkpoint '{model.Directory}' was trained with a {model.Tokenizer.Kind} tokenizer of {model.Tokenizer.VocabSize} ids " +
                $"but '{dataset.Directory}' uses {dataset.Tokenizer.Kind} with {dataset.Tokenizer.VocabSize}: evaluate on the data the model was trained on");
    }
}
