using Orchestrator.Models;
using Orchestrator.Models.Lora;
using static TorchSharp.torch;

namespace Orchestrator.Training.Pretrained;

/// <summary>
/// Copies pretrained weights into a freshly built model: every weight of the model but its adapters (which keep their
/// initial values) must be given, with its shape, before any is copied, so a bad source leaves nothing half-loaded.
/// The one allowed difference: a model with a shorter context takes the first rows of the position embeddings.
/// </summary>
internal static class PretrainedWeights
{
    private const string Positions = "wpe.weight";
    private const string TiedHead = "lm_head.weight";

    public static void CopyInto(LanguageModel model, IReadOnlyDictionary<string, Tensor> weights, string source)
    {
        var tied = model.Config.TieWeights;
        var expected = model.state_dict()
            .Where(kv => !LoraWeights.IsAdapter(kv.Key) && !(tied && kv.Key == TiedHead))
            .ToDictionary(kv => kv.Key, kv => kv.Value);
        var given = weights.Where(kv => !(tied && kv.Key == TiedHead)).ToDictionary(kv => kv.Key, kv => kv.Value);
        if (expected.Keys.Except(given.Keys).FirstOrDefault() is { } missing)
            throw new PretrainedModelException($"'{source}' has no tensor '{missing}': the model needs it with shape [{Shape(expected[missing].shape)}]");
        if (given.Keys.Except(expected.Keys).FirstOrDefault() is { } unexpected)
            throw new PretrainedModelException($"'{source}' holds an unexpected tensor '{unexpected}' [{Shape(given[unexpected].shape)}] that the model has no place for");
        var sources = new Dictionary<string, Tensor>(expected.Count);
        foreach (var (name, target) in expected)
        {
            var tensor = given[name];
            if (tensor.shape.SequenceEqual(target.shape))
                sources[name] = tensor;
            else if (name == Positions && tensor.shape.Length == 2 && tensor.shape[1] == target.shape[1] && tensor.shape[0] >= target.shape[0])
                sources[name] = tensor.narrow(0, 0, target.shape[0]); // block_size below the source's: its first positions
            else
                throw new PretrainedModelException($"'{source}' tensor '{name}' has shape [{Shape(tensor.shape)}] but the model needs [{Shape(target.shape)}]");
        }
        using var noGrad = no_grad();
        foreach (var (name, target) in expected) target.copy_(sources[name]);
    }

    private static string Shape(long[] shape) => string.Join(", ", shape);
}
