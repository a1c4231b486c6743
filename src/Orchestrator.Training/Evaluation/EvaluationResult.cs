using System.Text.Json;
using System.Text.Json.Serialization;

namespace Orchestrator.Training.Evaluation;

/// <summary>
/// Held-out quality of a model on one split. <see cref="BitsPerByte"/> normalises by the text's UTF-8 size rather
/// than its token count, so models with different tokenizers can be compared; it is null when the split's byte
/// count is unknown.
/// </summary>
public sealed record EvaluationResult(
    [property: JsonPropertyName("loss")] double Loss,
    [property: JsonPropertyName("perplexity")] double Perplexity,
    [property: JsonPropertyName("bits_per_byte")] double? BitsPerByte,
    [property: JsonPropertyName("tokens")] long Tokens)
{
    /// <summary>The result as one line of JSON, e.g. for <c>orchestrator eval</c> output or a metrics file.</summary>
    public string ToJsonLine() => JsonSerializer.Serialize(this);

    /// <summary>
    /// Converts a mean loss in nats per token into bits per byte of the split: <c>loss × tokens / (bytes × ln 2)</c>,
    /// where <paramref name="splitTokens"/> and <paramref name="splitBytes"/> describe the whole split.
    /// </summary>
    public static double? ToBitsPerByte(double lossNats, long splitTokens, long splitBytes) =>
        splitBytes <= 0 || splitTokens <= 0 ? null : lossNats * splitTokens / (splitBytes * Math.Log(2));
}
