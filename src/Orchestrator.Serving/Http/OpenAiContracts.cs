using System.Text.Json;
using System.Text.Json.Serialization;

namespace Orchestrator.Serving.Http;

/// <summary>The response bodies of the OpenAI completions API that this server speaks, field for field.</summary>
internal static class OpenAiContracts
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.Never };
}

/// <summary>A whole completion, or (with <c>stream</c>) one chunk of it: the same shape with text deltas.</summary>
internal sealed record CompletionBody(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("created")] long Created,
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("choices")] IReadOnlyList<ChoiceBody> Choices,
    [property: JsonPropertyName("usage"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] UsageBody? Usage)
{
    [JsonPropertyName("object")] public string Object => "text_completion";
}

internal sealed record ChoiceBody(
    [property: JsonPropertyName("text")] string Text,
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("finish_reason")] string? FinishReason)
{
    /// <summary>Always null: log-probabilities are not offered (requests asking for them are refused).</summary>
    [JsonPropertyName("logprobs")] public object? Logprobs => null;
}

internal sealed record UsageBody(
    [property: JsonPropertyName("prompt_tokens")] int PromptTokens,
    [property: JsonPropertyName("completion_tokens")] int CompletionTokens)
{
    [JsonPropertyName("total_tokens")] public int TotalTokens => PromptTokens + CompletionTokens;
}

internal sealed record ModelListBody([property: JsonPropertyName("data")] IReadOnlyList<ModelBody> Data)
{
    [JsonPropertyName("object")] public string Object => "list";
}

internal sealed record ModelBody(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("created")] long Created)
{
    [JsonPropertyName("object")] public string Object => "model";
    [JsonPropertyName("owned_by")] public string OwnedBy => "orchestrator";
}

/// <summary><c>{"error": {"message", "type", "param", "code"}}</c>, as OpenAI clients parse it.</summary>
internal sealed record ErrorEnvelope([property: JsonPropertyName("error")] ErrorBody Error);

internal sealed record ErrorBody(
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("param")] string? Param,
    [property: JsonPropertyName("code")] string? Code);
