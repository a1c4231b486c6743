using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Orchestrator.Models.Gpt;

/// <summary>
/// Multi-head self-attention in which position <c>t</c> sees only positions <c>≤ t</c>, through libtorch's fused
/// <c>scaled_dot_product_attention</c>. The same projections serve full-sequence training and cached decoding.
/// </summary>
public sealed class CausalSelfAttention : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> c_attn;
    private readonly nn.Module<Tensor, Tensor> c_proj;
    private readonly Dropout resid_dropout;
    private readonly double attnDropout;
    private readonly int nHead;
    private readonly int nEmbd;

    public CausalSelfAttention(ModelConfig config) : base(nameof(CausalSelfAttention))
    {
        nHead = config.NHead;
        nEmbd = config.NEmbd;
        attnDropout = config.Dropout;
        c_attn = AdaptableLinear.Create(config, "attn.c_attn", nEmbd, 3 * nEmbd);
        c_proj = AdaptableLinear.Create(config, "attn.c_proj", nEmbd, nEmbd);
        resid_dropout = nn.Dropout(config.Dropout);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var (q, k, v) = Project(x);
        return Attend(q, k, v, mask: null, causal: true, x.shape);
    }

    /// <summary>
    /// Attends the new tokens <c>x (B, T_new, C)</c> to themselves and to the cached ones, after storing their keys
    /// and values in <paramref name="cache"/> for later steps.
    /// </summary>
    internal Tensor ForwardCached(Tensor x, KvCache cache, int layer)
    {
        var past = cache.Length;
        var newTokens = x.shape[1];
        var (q, k, v) = Project(x);
        var (keys, values) = cache.Append(layer, k, v);
        if (newTokens == 1)
            return Attend(q, keys, values, mask: null, causal: false, x.shape); // the one new token may see everything cached
        if (past == 0)
            return Attend(q, keys, values, mask: null, causal: true, x.shape);
        // Query i sits at absolute position past + i and may see keys 0 ..= past + i. The fused kernel's is_causal
        // aligns the triangle to the top-left when T_new < T_total, so the mask is spelled out. (T_new, past + T_new)
        var mask = ones(newTokens, past + newTokens, ScalarType.Bool, x.device).tril(past);
        return Attend(q, keys, values, mask, causal: false, x.shape);
    }

    /// <summary>
    /// Attends each row of <c>x (B, T, C)</c> to its own sequence's cached tokens and its new ones, with the padded
    /// cache and mask of <paramref name="batch"/>, after storing the rows' real keys and values in <paramref name="cache"/>.
    /// </summary>
    internal Tensor ForwardSlots(Tensor x, KvCacheSlots cache, int layer, SlotBatch batch)
    {
        var (q, k, v) = Project(x);
        var (keys, values) = cache.Append(layer, k, v, batch); // (B, nh, Lk, hs)
        return Attend(q, keys, values, batch.Mask, causal: false, x.shape);
    }

    private (Tensor Q, Tensor K, Tensor V) Project(Tensor x)
    {
        var (batch, time) = (x.shape[0], x.shape[1]);
        var qkv = c_attn.forward(x).split(nEmbd, dim: 2); // (B, T, 3C) -> 3 × (B, T, C)
        // (B, T, C) -> (B, nh, T, hs)
        Tensor Heads(Tensor t) => t.view(batch, time, nHead, nEmbd / nHead).transpose(1, 2);
        return (Heads(qkv[0]), Heads(qkv[1]), Heads(qkv[2]));
    }

    private Tensor Attend(Tensor q, Tensor k, Tensor v, Tensor? mask, bool causal, long[] inputShape)
    {
        var p = training ? attnDropout : 0.0;
        var y = nn.functional.scaled_dot_product_attention(q, k, v, mask, p, is_casual: causal);
        // (B, nh, T, hs) -> (B, T, C)
        y = y.transpose(1, 2).contiguous().view(inputShape);
        return resid_dropout.forward(c_proj.forward(y));
    }
}
