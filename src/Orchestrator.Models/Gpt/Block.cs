using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Orchestrator.Models.Gpt;

/// <summary>
/// One transformer layer with pre-LayerNorm residual branches (<c>x + attn(ln_1(x))</c>, then <c>x + mlp(ln_2(x))</c>),
/// as in GPT-2 and nanoGPT; normalising before each branch keeps deep stacks trainable without warm-up tricks.
/// </summary>
public sealed class Block : nn.Module<Tensor, Tensor>
{
    private readonly LayerNorm ln_1;
    private readonly CausalSelfAttention attn;
    private readonly LayerNorm ln_2;
    private readonly Mlp mlp;

    public Block(ModelConfig config) : base(nameof(Block))
    {
        ln_1 = nn.LayerNorm(config.NEmbd, eps: config.LayerNormEpsilon, bias: config.Bias);
        attn = new CausalSelfAttention(config);
        ln_2 = nn.LayerNorm(config.NEmbd, eps: config.LayerNormEpsilon, bias: config.Bias);
        mlp = new Mlp(config);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        x = x + attn.forward(ln_1.forward(x));
        return x + mlp.forward(ln_2.forward(x));
    }

    /// <summary>The same layer for new tokens after those in <paramref name="cache"/> (see <see cref="GptModel.ForwardIncremental"/>).</summary>
    internal Tensor ForwardCached(Tensor x, KvCache cache, int layer)
    {
        x = x + attn.ForwardCached(ln_1.forward(x), cache, layer);
        return x + mlp.forward(ln_2.forward(x));
    }

    /// <summary>The same layer for a batch of sequences in <paramref name="cache"/>'s slots (see <see cref="GptModel.ForwardSlots"/>).</summary>
    internal Tensor ForwardSlots(Tensor x, KvCacheSlots cache, int layer, SlotBatch batch)
    {
        x = x + attn.ForwardSlots(ln_1.forward(x), cache, layer, batch);
        return x + mlp.forward(ln_2.forward(x));
    }
}
