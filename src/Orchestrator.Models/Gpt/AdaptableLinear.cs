using Orchestrator.Models.Lora;
using TorchSharp;
using static TorchSharp.torch;

namespace Orchestrator.Models.Gpt;

/// <summary>
/// Builds a block's Linear layers: a plain <c>nn.Linear</c>, or a <see cref="LoraLinear"/> with the same weight names when
/// the config's LoRA targets that layer, so one model class serves pretraining, full fine-tuning and adapters.
/// </summary>
internal static class AdaptableLinear
{
    /// <summary>The Linear called <paramref name="layer"/> inside a block (spelled as in <see cref="LoraConfig.KnownTargets"/>).</summary>
    public static nn.Module<Tensor, Tensor> Create(ModelConfig config, string layer, long inFeatures, long outFeatures) =>
        config.Lora is { } lora && lora.Adapts(layer)
            ? new LoraLinear(inFeatures, outFeatures, config.Bias, lora)
            : nn.Linear(inFeatures, outFeatures, hasBias: config.Bias);
}
