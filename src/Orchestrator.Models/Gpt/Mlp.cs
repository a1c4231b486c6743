using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Orchestrator.Models.Gpt;

/// <summary>
/// The transformer's position-wise feed-forward network: widen to 4·n_embd, GELU (exact, as nanoGPT's <c>nn.GELU()</c>),
/// project back, dropout on the residual branch.
/// </summary>
public sealed class Mlp : nn.Module<Tensor, Tensor>
{
    private readonly Linear c_fc;
    private readonly GELU gelu;
    private readonly Linear c_proj;
    private readonly Dropout dropout;

    public Mlp(ModelConfig config) : base(nameof(Mlp))
    {
        c_fc = nn.Linear(config.NEmbd, 4 * config.NEmbd, hasBias: config.Bias);
        gelu = nn.GELU();
        c_proj = nn.Linear(4 * config.NEmbd, config.NEmbd, hasBias: config.Bias);
        dropout = nn.Dropout(config.Dropout);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        // (B, T, C) -> (B, T, 4C) -> (B, T, C)
        return dropout.forward(c_proj.forward(gelu.forward(c_fc.forward(x))));
    }
}
