using System.Text.Json.Serialization;
using Orchestrator.Models.Lora;

namespace Orchestrator.Models;

/// <summary>
/// One description for every model family, so a run's <c>config.json</c>, the CLI flags and a checkpoint
/// all speak the same language. JSON names are snake_case as in nanoGPT so configs read the same in both worlds.
/// </summary>
public sealed record ModelConfig
{
    /// <summary><c>gpt</c>, <c>lstm</c>, <c>gru</c> or <c>rnn</c>.</summary>
    [JsonPropertyName("model")] public string Model { get; init; } = "gpt";
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; }
    [JsonPropertyName("block_size")] public int BlockSize { get; init; } = 64;
    [JsonPropertyName("n_layer")] public int NLayer { get; init; } = 4;
    [JsonPropertyName("n_head")] public int NHead { get; init; } = 4;
    [JsonPropertyName("n_embd")] public int NEmbd { get; init; } = 128;
    [JsonPropertyName("dropout")] public double Dropout { get; init; }
    [JsonPropertyName("bias")] public bool Bias { get; init; } = true;
    [JsonPropertyName("tie_weights")] public bool TieWeights { get; init; } = true;

    /// <summary>
    /// The MLP's non-linearity (gpt): <c>gelu</c> (exact, nanoGPT's) or <c>gelu_new</c> (the tanh approximation GPT-2's
    /// weights were trained with). Pretrained weights only reproduce their outputs with the activation they learned under.
    /// </summary>
    [JsonPropertyName("activation")] public string Activation { get; init; } = "gelu";

    /// <summary>LayerNorm epsilon; GPT-2's config.json carries its own (<c>layer_norm_epsilon</c>).</summary>
    [JsonPropertyName("layer_norm_epsilon")] public double LayerNormEpsilon { get; init; } = 1e-5;

    /// <summary>Low-rank adapters on some Linear layers with every other weight frozen (gpt); null trains the whole model.</summary>
    [JsonPropertyName("lora")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public LoraConfig? Lora { get; init; }

    public static readonly IReadOnlyList<string> KnownModels = ["gpt", "lstm", "gru", "rnn"];

    public static readonly IReadOnlyList<string> KnownActivations = ["gelu", "gelu_new"];

    /// <summary>Throws <see cref="InvalidModelConfigException"/> naming the first bad field and how to fix it.</summary>
    public void Validate()
    {
        if (!KnownModels.Contains(Model))
            throw new InvalidModelConfigException($"unknown model type '{Model}': use one of {string.Join(", ", KnownModels)}");
        if (VocabSize <= 0) throw new InvalidModelConfigException($"vocab_size must be positive (got {VocabSize}); it comes from the prepared data's meta.json");
        if (BlockSize <= 0) throw new InvalidModelConfigException($"block_size must be positive (got {BlockSize})");
        if (NLayer <= 0) throw new InvalidModelConfigException($"n_layer must be positive (got {NLayer})");
        if (NEmbd <= 0) throw new InvalidModelConfigException($"n_embd must be positive (got {NEmbd})");
        if (Dropout is < 0 or >= 1) throw new InvalidModelConfigException($"dropout must be in [0, 1) (got {Dropout})");
        if (!(LayerNormEpsilon > 0)) throw new InvalidModelConfigException($"layer_norm_epsilon must be positive (got {LayerNormEpsilon})");
        if (!KnownActivations.Contains(Activation))
            throw new InvalidModelConfigException($"unknown activation '{Activation}': use one of {string.Join(", ", KnownActivations)}");
        if (Lora is not null && Model != "gpt")
            throw new InvalidModelConfigException($"lora adapters are built for gpt models only (got model '{Model}'): drop the lora settings or train a gpt");
        Lora?.Validate();
        if (Lora is { EmbeddingRank: > 0 } && !TieWeights)
            throw new InvalidModelConfigException("lora embedding_rank (--lora-embedding-rank) adapts the tied token embedding and head, but this model's tie_weights is false: leave embedding_rank at 0");
        if (Model == "gpt")
        {
            if (NHead <= 0) throw new InvalidModelConfigException($"n_head must be positive (got {NHead})");
            if (NEmbd % NHead != 0)
                throw new InvalidModelConfigException($"n_embd ({NEmbd}) must be divisible by n_head ({NHead}): pick n_head from the divisors of n_embd");
        }
    }
}

/// <summary>A model configuration that cannot be built; the message names the field and the fix.</summary>
public sealed class InvalidModelConfigException(string message) : Exception(message);
