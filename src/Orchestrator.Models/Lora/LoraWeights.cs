using Orchestrator.Models.Gpt;
using TorchSharp;
using static TorchSharp.torch;

namespace Orchestrator.Models.Lora;

/// <summary>
/// What a model with adapters trains and saves: only <c>*.lora_A</c> / <c>*.lora_B</c>. Everything else is the base,
/// frozen, and comes from the base model's own file.
/// </summary>
public static class LoraWeights
{
    /// <summary>Whether the state-dict entry <paramref name="name"/> is an adapter tensor.</summary>
    public static bool IsAdapter(string name) =>
        name.EndsWith(".lora_A", StringComparison.Ordinal) || name.EndsWith(".lora_B", StringComparison.Ordinal);

    /// <summary>Turns gradients off for every parameter but the adapters' (no gradient is computed, stored or exchanged for them).</summary>
    public static void FreezeBase(nn.Module model)
    {
        foreach (var (name, parameter) in model.named_parameters())
            parameter.requires_grad = IsAdapter(name);
    }

    /// <summary>
    /// The model's weights with every adapter folded into its layer's weight (<c>W + (alpha/r)·B·A</c>) and the adapter
    /// tensors left out: the state dict of the same model without adapters, tied head included. New tensors; dispose
    /// them (or a scope).
    /// </summary>
    public static Dictionary<string, Tensor> Merged(nn.Module model)
    {
        using var noGrad = no_grad();
        var merged = new Dictionary<string, Tensor>();
        foreach (var (name, tensor) in model.state_dict())
            if (!IsAdapter(name)) merged[name] = tensor.detach().clone();
        foreach (var (name, module) in model.named_modules())
        {
            var key = name + ".weight";
            switch (module)
            {
                case LoraLinear linear:
                    Replace(merged, key, linear.MergedWeight());
                    break;
                case LoraEmbedding embedding:
                    Replace(merged, key, embedding.MergedWeight());
                    // The adapted model computes its head from the embedding and has no lm_head module; the plain model
                    // lists its tied head under its own name too, as the same tensor.
                    merged[GptModel.TiedHeadWeight] = merged[key];
                    break;
            }
        }
        return merged;
    }

    private static void Replace(Dictionary<string, Tensor> merged, string key, Tensor value)
    {
        merged[key].Dispose();
        merged[key] = value;
    }
}
