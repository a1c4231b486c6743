using System.Text.Json.Serialization;

namespace Orchestrator.Training.Pretrained;

/// <summary>
/// The pretrained model a run starts from (<c>init_from</c> in config.json): where it is, what it is, and the SHA-256 of
/// its weights file. A LoRA checkpoint holds only adapters, so this is how it finds its base again, and the hash is how
/// it knows the base is still the same.
/// </summary>
public sealed record BaseModelReference
{
    public const string HfGpt2 = "hf_gpt2";
    public const string Checkpoint = "checkpoint";
    public static readonly IReadOnlyList<string> Formats = [HfGpt2, Checkpoint];

    /// <summary>Absolute path: a Hugging Face GPT-2 directory or one of our checkpoint directories.</summary>
    [JsonPropertyName("path")] public required string Path { get; init; }

    /// <summary><see cref="HfGpt2"/> or <see cref="Checkpoint"/>; null until the trainer first opens the base (it tells which).</summary>
    [JsonPropertyName("format")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Format { get; init; }

    /// <summary>SHA-256 of the weights file (model.safetensors); null until the trainer first opens the base.</summary>
    [JsonPropertyName("sha256")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Sha256 { get; init; }
}
