using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Orchestrator.Models.Gpt;

/// <summary>
/// The transformer's position-wise feed-forward network: widen to 4·n_embd, GELU (exact as nanoGPT's <c>nn.GELU()</c>, or
/// GPT-2's tanh approximation with <c>activation = gelu_new</c>), project back, dropout on the residual branch.
/// </summary>
public sealed class Mlp : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> c_fc;
    private readonly nn.Module<Tensor, Tensor> c_proj;
    private readonly bool tanhApproximation;
    private readonly Dropout dropout;

    public Mlp(ModelConfig config) : base(nameof(Mlp))
    {
        c_fc = AdaptableLinear.Create(config, "mlp.c_fc", config.NEmbd, 4 * config.NEmbd);
        c_proj = AdaptableLinear.Create(config, "mlp.c_proj", 4 * config.NEmbd, config.NEmbd);
        tanhApproximation = config.Activation == "gelu_new";
        dropout = nn.Dropout(config.Dropout);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        // (B, T, C) -> (B, T, 4C) -> (B, T, C)
        var hidden = c_fc.forward(x);
        hidden = tanhApproximation ? nn.functional.gelu(hidden, GELU.Approximate.tanh) : nn.functional.gelu(hidden);
        return dropout.forward(c_proj.forward(hidden));
    }
}
