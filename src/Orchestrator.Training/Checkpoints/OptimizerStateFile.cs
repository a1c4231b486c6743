using System.Text.Json.Serialization;

namespace Orchestrator.Training.Checkpoints;

/// <summary><c>optimizer.json</c>: the AdamW scalars that go with the moments in <c>optimizer.safetensors</c>.</summary>
public sealed record OptimizerStateFile
{
    [JsonPropertyName("type")] public string Type { get; init; } = "adamw";
    [JsonPropertyName("step_count")] public long StepCount { get; init; }
    [JsonPropertyName("beta1")] public double Beta1 { get; init; }
    [JsonPropertyName("beta2")] public double Beta2 { get; init; }
    [JsonPropertyName("eps")] public double Eps { get; init; }
    [JsonPropertyName("weight_decay")] public double WeightDecay { get; init; }
    [JsonPropertyName("decayed_parameters")] public IReadOnlyList<string> DecayedParameters { get; init; } = [];
}
