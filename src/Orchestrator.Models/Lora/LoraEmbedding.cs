using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Orchestrator.Models.Lora;

/// <summary>
/// A token embedding with a low-rank adapter, for models whose output head is the same matrix (tied). The effective
/// table is <c>E + scale·A·B</c> with <c>A</c> (vocab × r) and <c>B</c> (r × n_embd): looking a token up adds
/// <c>scale·A[token]·B</c>, and the head's logits gain <c>scale·(h·Bᵀ)·Aᵀ</c>, so one adapter moves both ends as full
/// fine-tuning of the tied weight would, in rank r. <c>A</c> starts at zero (the model starts as the base) and takes a
/// gradient for every vocabulary row through the softmax, which is how it learns which tokens a new domain uses;
/// <c>B</c> is drawn with standard deviation 1/√n_embd so <c>h·Bᵀ</c> has unit size. The frozen table keeps the name
/// <c>weight</c>, so base weights load into it unchanged; the model has no separate head module then (a tied head is
/// never stored under its own name), which also keeps <c>Module.to</c> from converting one tensor twice.
/// </summary>
public sealed class LoraEmbedding : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly Parameter lora_A;
    private readonly Parameter lora_B;
    private readonly double scale;

    public LoraEmbedding(long vocabSize, long embeddingDim, LoraConfig config) : base(nameof(LoraEmbedding))
    {
        if (config.EmbeddingRank <= 0)
            throw new ArgumentOutOfRangeException(nameof(config), config.EmbeddingRank, "An embedding adapter needs embedding_rank > 0.");
        weight = new Parameter(empty(vocabSize, embeddingDim));
        lora_A = new Parameter(zeros(vocabSize, config.EmbeddingRank));
        lora_B = new Parameter(empty(config.EmbeddingRank, embeddingDim));
        scale = config.EmbeddingScale;
        using (no_grad()) nn.init.normal_(lora_B, 0.0, 1.0 / Math.Sqrt(embeddingDim));
        RegisterComponents();
    }

    /// <summary>Embeds <c>idx (B, T)</c> into <c>(B, T, n_embd)</c>.</summary>
    public override Tensor forward(Tensor idx)
    {
        using var scope = NewDisposeScope();
        var flat = idx.reshape(-1);
        // (N, C) + scale · (N, r)·(r, C)
        var rows = weight.index_select(0, flat).add_(lora_A.index_select(0, flat).matmul(lora_B), scale);
        return rows.reshape([.. idx.shape, weight.shape[1]]).MoveToOuterDisposeScope();
    }

    /// <summary>The tied head's logits for <c>h (…, n_embd)</c>: <c>h·Eᵀ + scale·(h·Bᵀ)·Aᵀ</c>.</summary>
    public Tensor Logits(Tensor h)
    {
        using var scope = NewDisposeScope();
        var frozen = nn.functional.linear(h, weight);
        // (…, C) -> (…, r) -> (…, vocab)
        return frozen.add_(nn.functional.linear(nn.functional.linear(h, lora_B), lora_A), scale).MoveToOuterDisposeScope();
    }

    /// <summary>Draws the base table as the model's initialisation does for an embedding.</summary>
    internal void InitialiseBase(double std)
    {
        using var noGrad = no_grad();
        nn.init.normal_(weight, 0.0, std);
    }

    /// <summary><c>E + scale·A·B</c>: the plain embedding (and tied head) weight with the adapter folded in (a new tensor).</summary>
    public Tensor MergedWeight()
    {
        using var noGrad = no_grad();
        return weight.detach().add(matmul(lora_A, lora_B), scale);
    }
}
