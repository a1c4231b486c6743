using System.Text.Json.Serialization;

namespace Orchestrator.Models.Lora;

/// <summary>
/// Low-rank adaptation (Hu et al. 2021): each targeted Linear keeps its weight W frozen and learns A (r × in) and
/// B (out × r), its output becoming <c>W·x + b + (alpha / r)·B·A·x</c>. B starts at zero, so training starts from the
/// base model exactly, and only A and B (a few percent of the weights or less) are trained and exchanged between workers.
/// </summary>
public sealed record LoraConfig
{
    [JsonPropertyName("rank")] public int Rank { get; init; } = 8;
    [JsonPropertyName("alpha")] public double Alpha { get; init; } = 16;

    /// <summary>
    /// The Linear layers that get adapters, by their name inside a block: <c>attn.c_attn</c>, <c>attn.c_proj</c>,
    /// <c>mlp.c_fc</c>, <c>mlp.c_proj</c>; the short names <c>c_attn</c>, <c>c_proj</c> (attention's) and <c>c_fc</c> also work.
    /// </summary>
    [JsonPropertyName("targets")] public IReadOnlyList<string> Targets { get; init; } = ["c_attn"];

    /// <summary>Dropout on the Linear adapters' input only (the frozen path is untouched).</summary>
    [JsonPropertyName("dropout")] public double Dropout { get; init; }

    /// <summary>
    /// Rank of an adapter on the tied token embedding (<c>wte</c>, which is also the output head), or 0 to leave it
    /// frozen. A shift of domain is largely a shift in which tokens occur; that lives in the embedding, which the Linear
    /// adapters cannot reach. Its scale is alpha / this rank. It costs rank × (vocab + n_embd) parameters, so with a
    /// 50,257-token vocabulary 1 or 2 is usual.
    /// </summary>
    [JsonPropertyName("embedding_rank")] public int EmbeddingRank { get; init; }

    /// <summary>The layers a block can adapt, by their full name inside the block.</summary>
    public static readonly IReadOnlyList<string> KnownTargets = ["attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"];

    /// <summary>The multiplier of <c>B·A·x</c>; alpha/r keeps the update's size roughly independent of the rank.</summary>
    [JsonIgnore] public double Scale => Alpha / Rank;

    /// <summary>The multiplier of the embedding adapter's update: alpha over its own rank.</summary>
    [JsonIgnore] public double EmbeddingScale => Alpha / EmbeddingRank;

    /// <summary>One line for logs: <c>LoRA r=8 alpha=16 on c_attn, wte r=1</c>.</summary>
    public string Describe() =>
        $"LoRA r={Rank} alpha={Alpha} on {string.Join(",", Targets)}" + (EmbeddingRank > 0 ? $", wte r={EmbeddingRank}" : "");

    /// <summary>Whether the Linear called <paramref name="layer"/> inside a block (e.g. <c>attn.c_proj</c>) is targeted.</summary>
    public bool Adapts(string layer) => Targets.Any(t => Canonical(t) == layer);

    /// <summary>Throws <see cref="InvalidModelConfigException"/> naming the first bad field.</summary>
    public void Validate()
    {
        if (Rank <= 0) throw new InvalidModelConfigException($"lora rank must be positive (got {Rank}); 4 to 64 is usual");
        if (!(Alpha > 0) || !double.IsFinite(Alpha)) throw new InvalidModelConfigException($"lora alpha must be a positive number (got {Alpha}); twice the rank is usual");
        if (Dropout is < 0 or >= 1) throw new InvalidModelConfigException($"lora dropout must be in [0, 1) (got {Dropout})");
        if (EmbeddingRank < 0)
            throw new InvalidModelConfigException($"lora embedding_rank must be 0 (embedding frozen) or positive (got {EmbeddingRank}); 1 or 2 is usual");
        if (Targets.Count == 0 && EmbeddingRank == 0)
            throw new InvalidModelConfigException($"lora targets is empty and embedding_rank is 0, so nothing would train: name at least one of {string.Join(", ", KnownTargets)}");
        foreach (var target in Targets)
        {
            if (Canonical(target) is null)
                throw new InvalidModelConfigException(
                    $"unknown lora target '{target}': use {string.Join(", ", KnownTargets)} (or c_attn, c_proj = attn.c_proj, c_fc)"
                    + (target == "wte" ? "; the token embedding gets its adapter from embedding_rank (--lora-embedding-rank)" : ""));
        }
    }

    /// <summary>A target's full name inside a block, or null when it names no adaptable layer.</summary>
    public static string? Canonical(string target) => target switch
    {
        "c_attn" or "attn.c_attn" => "attn.c_attn",
        "c_proj" or "attn.c_proj" => "attn.c_proj",
        "c_fc" or "mlp.c_fc" => "mlp.c_fc",
        "mlp.c_proj" => "mlp.c_proj",
        _ => null,
    };

    /// <summary>Value equality over the targets too, so a resumed run's saved config compares equal to the same settings.</summary>
    public bool Equals(LoraConfig? other) =>
        other is not null && Rank == other.Rank && Alpha.Equals(other.Alpha) && Dropout.Equals(other.Dropout) && EmbeddingRank == other.EmbeddingRank
        && Targets.Select(Canonical).Order().SequenceEqual(other.Targets.Select(Canonical).Order());

    public override int GetHashCode() => HashCode.Combine(Rank, Alpha, Dropout, EmbeddingRank, string.Join(",", Targets.Select(Canonical).Order()));
}
