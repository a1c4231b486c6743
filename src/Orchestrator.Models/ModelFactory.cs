using Orchestrator.Models.Gpt;
using Orchestrator.Models.Recurrent;

namespace Orchestrator.Models;

/// <summary>
/// The one place that turns a <see cref="ModelConfig"/> into a model, so the trainer, the server and the CLI build the
/// same architecture from the same config.json. Parameters are drawn from torch's current RNG: seed it first.
/// </summary>
public static class ModelFactory
{
    /// <summary>Validates <paramref name="config"/> and builds the model it names; throws <see cref="InvalidModelConfigException"/> otherwise.</summary>
    public static LanguageModel Create(ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        return config.Model switch
        {
            "gpt" => new GptModel(config),
            "lstm" or "gru" or "rnn" => new RecurrentLanguageModel(config),
            _ => throw new InvalidModelConfigException(
                $"unknown model type '{config.Model}': use one of {string.Join(", ", ModelConfig.KnownModels)}"),
        };
    }
}
