using Orchestrator.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Orchestrator.Inference.Tests.Generation;

/// <summary>
/// Tiny models with weights drawn from a private generator, so generation tests are deterministic without touching
/// torch's global seed. Untied: a random tied model mostly predicts the token it was fed, and greedy text degenerates.
/// </summary>
internal static class GenerationModels
{
    static GenerationModels() => set_num_threads(1);

    public const int VocabSize = 13;

    public static ModelConfig Gpt(int blockSize) => new()
    {
        Model = "gpt", VocabSize = VocabSize, BlockSize = blockSize, NLayer = 2, NHead = 2, NEmbd = 16, TieWeights = false,
    };

    public static ModelConfig Recurrent(string kind) => new() { Model = kind, VocabSize = VocabSize, NLayer = 2, NEmbd = 16, TieWeights = false };

    /// <summary>Weights ~ N(0, 0.3²): larger than a fresh model's, so the next-token distributions are peaked and greedy text varies.</summary>
    public static LanguageModel Create(ModelConfig config, ulong seed = 5)
    {
        var model = ModelFactory.Create(config);
        using var generator = new Generator(seed, CPU);
        using (no_grad())
        {
            foreach (var parameter in model.parameters())
                parameter.normal_(0.0, 0.3, generator);
        }
        return model;
    }
}
