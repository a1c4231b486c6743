using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Orchestrator.Models.Lora;

/// <summary>
/// A Linear layer with a low-rank adapter: <c>y = x·Wᵀ + b + scale·(dropout(x)·Aᵀ)·Bᵀ</c>. W and b keep the names of the
/// Linear they replace (<c>weight</c>, <c>bias</c>), so base weights load into it unchanged; the adapter is
/// <c>lora_A</c> (r × in, drawn like a Linear's weight) and <c>lora_B</c> (out × r, zeros: the layer starts as the base).
/// Freezing the base is the model's job (<see cref="LoraWeights.FreezeBase"/>), since embeddings and norms freeze too.
/// </summary>
public sealed class LoraLinear : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly Parameter? bias;
    private readonly Parameter lora_A;
    private readonly Parameter lora_B;
    private readonly Dropout lora_dropout;
    private readonly double scale;

    public LoraLinear(long inFeatures, long outFeatures, bool hasBias, LoraConfig config) : base(nameof(LoraLinear))
    {
        weight = new Parameter(empty(outFeatures, inFeatures));
        bias = hasBias ? new Parameter(zeros(outFeatures)) : null;
        lora_A = new Parameter(empty(config.Rank, inFeatures));
        lora_B = new Parameter(zeros(outFeatures, config.Rank));
        lora_dropout = nn.Dropout(config.Dropout);
        scale = config.Scale;
        // A as a fresh nn.Linear's weight (uniform in ±1/√in), so the first update B·A·x has a sensible size.
        using (no_grad())
        {
            var bound = 1.0 / Math.Sqrt(inFeatures);
            nn.init.uniform_(lora_A, -bound, bound);
        }
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var frozen = nn.functional.linear(x, weight, bias);
        // (B, T, in) -> (B, T, r) -> (B, T, out)
        var update = nn.functional.linear(nn.functional.linear(lora_dropout.forward(x), lora_A), lora_B);
        return frozen.add_(update, scale);
    }

    /// <summary>Draws the base weight as the model's initialisation does for a Linear (normal, biases zero).</summary>
    internal void InitialiseBase(double std)
    {
        using var noGrad = no_grad();
        nn.init.normal_(weight, 0.0, std);
        if (bias is not null) nn.init.zeros_(bias);
    }

    /// <summary><c>W + scale·B·A</c>: the plain Linear weight that gives this layer's outputs (a new tensor).</summary>
    public Tensor MergedWeight()
    {
        using var noGrad = no_grad();
        return weight.detach().add(matmul(lora_B, lora_A), scale);
    }
}
