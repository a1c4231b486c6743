using System.Text.Json;
using Orchestrator.Serving.Completions;

namespace Orchestrator.Serving.Http;

/// <summary>A parsed <c>POST /v1/completions</c> body: the protocol-neutral request plus the HTTP-only streaming switches.</summary>
internal sealed record OpenAiCompletionRequest(CompletionRequest Request, bool Stream, bool IncludeUsage);

/// <summary>
/// Reads the OpenAI completions body by hand rather than by model binding, so a wrongly typed field is reported by its
/// name (<c>param</c>) in the OpenAI error shape. Unknown fields are ignored, as OpenAI does; known options this server
/// cannot honour (log-probabilities, echo, suffix, penalties) are refused rather than silently dropped.
/// </summary>
internal static class OpenAiRequestReader
{
    public static OpenAiCompletionRequest Read(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
            throw new InvalidCompletionRequestException($"The request body must be a JSON object, not {Describe(body)}.", null, "invalid_json");

        RefuseUnsupported(body);
        var request = new CompletionRequest
        {
            Model = String(body, "model"),
            Prompts = Prompts(body),
            MaxTokens = Int32(body, "max_tokens"),
            Temperature = Number(body, "temperature"),
            TopP = Number(body, "top_p"),
            TopK = Int32(body, "top_k"),
            Stop = Stops(body),
            Seed = Int64(body, "seed"),
            N = Int32(body, "n"),
        };
        var stream = Boolean(body, "stream") ?? false;
        var includeUsage = false;
        if (Field(body, "stream_options") is { } streamOptions)
        {
            if (streamOptions.ValueKind != JsonValueKind.Object)
                throw WrongType("stream_options", "an object", streamOptions);
            includeUsage = Boolean(streamOptions, "include_usage", "stream_options.include_usage") ?? false;
        }
        return new OpenAiCompletionRequest(request, stream, includeUsage);
    }

    private static void RefuseUnsupported(JsonElement body)
    {
        if (Boolean(body, "echo") == true) throw Unsupported("echo", "echo is not supported: prepend the prompt yourself.");
        if (Field(body, "logprobs") is { } logprobs && !(logprobs.ValueKind == JsonValueKind.Number && logprobs.GetDouble() == 0))
            throw Unsupported("logprobs", "logprobs is not supported by this server: leave it out.");
        if (Field(body, "suffix") is { ValueKind: JsonValueKind.String } suffix && suffix.GetString()!.Length > 0)
            throw Unsupported("suffix", "suffix (insertion) is not supported by this server: leave it out.");
        if (Int32(body, "best_of") is > 1) throw Unsupported("best_of", "best_of is not supported: ask for n choices and pick yourself.");
        foreach (var penalty in new[] { "presence_penalty", "frequency_penalty" })
            if (Number(body, penalty) is { } value && value != 0) throw Unsupported(penalty, $"{penalty} is not supported by this server: leave it out or send 0.");
        if (Field(body, "logit_bias") is { ValueKind: JsonValueKind.Object } bias && bias.EnumerateObject().Any())
            throw Unsupported("logit_bias", "logit_bias is not supported by this server: leave it out.");
    }

    private static IReadOnlyList<string> Prompts(JsonElement body)
    {
        if (Field(body, "prompt") is not { } prompt) return [];
        return prompt.ValueKind switch
        {
            JsonValueKind.String => [prompt.GetString()!],
            JsonValueKind.Array when prompt.GetArrayLength() == 0 =>
                throw new InvalidCompletionRequestException("prompt is an empty array: give at least one string.", "prompt"),
            JsonValueKind.Array => prompt.EnumerateArray().Select((item, i) => item.ValueKind == JsonValueKind.String
                ? item.GetString()!
                : throw new InvalidCompletionRequestException(
                    $"prompt[{i}] is {Describe(item)}; this server takes prompts as strings (token-id prompts are not supported).", "prompt")).ToArray(),
            _ => throw WrongType("prompt", "a string or an array of strings", prompt),
        };
    }

    private static IReadOnlyList<string> Stops(JsonElement body)
    {
        if (Field(body, "stop") is not { } stop) return [];
        return stop.ValueKind switch
        {
            JsonValueKind.String => [stop.GetString()!],
            JsonValueKind.Array => stop.EnumerateArray().Select(item => item.ValueKind == JsonValueKind.String
                ? item.GetString()!
                : throw WrongType("stop", "a string or an array of strings", item)).ToArray(),
            _ => throw WrongType("stop", "a string or an array of strings", stop),
        };
    }

    /// <summary>The field's value, or null when it is absent or JSON null (both mean "use the default").</summary>
    private static JsonElement? Field(JsonElement body, string name) =>
        body.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    private static string? String(JsonElement body, string name) => Field(body, name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.String } value => value.GetString(),
        { } value => throw WrongType(name, "a string", value),
    };

    private static bool? Boolean(JsonElement body, string name, string? param = null) => Field(body, name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.False } => false,
        { } value => throw WrongType(param ?? name, "true or false", value),
    };

    private static double? Number(JsonElement body, string name) => Field(body, name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.Number } value => value.GetDouble(),
        { } value => throw WrongType(name, "a number", value),
    };

    private static int? Int32(JsonElement body, string name) => Field(body, name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.Number } value when value.TryGetInt32(out var i) => i,
        { ValueKind: JsonValueKind.Number } value => throw new InvalidCompletionRequestException(
            $"{name} is {value.GetRawText()}; it must be a whole number within the range this server accepts.", name),
        { } value => throw WrongType(name, "an integer", value),
    };

    private static long? Int64(JsonElement body, string name) => Field(body, name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.Number } value when value.TryGetInt64(out var i) => i,
        { } value => throw WrongType(name, "a 64-bit integer", value),
    };

    private static InvalidCompletionRequestException WrongType(string param, string expected, JsonElement actual) =>
        new($"{param} must be {expected}, not {Describe(actual)}.", param, "invalid_type");

    private static InvalidCompletionRequestException Unsupported(string param, string message) => new(message, param, "unsupported_parameter");

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"the string {Shorten(value.GetRawText())}",
        JsonValueKind.Number => $"the number {Shorten(value.GetRawText())}",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
        _ => "null",
    };

    private static string Shorten(string raw) => raw.Length <= 40 ? raw : raw[..37] + "...";
}
