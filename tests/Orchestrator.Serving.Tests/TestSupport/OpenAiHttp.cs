using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Orchestrator.Serving.Tests.TestSupport;

/// <summary>A plain HttpClient speaking the OpenAI completions API: JSON in, JSON or Server-Sent Events out.</summary>
internal static class OpenAiHttp
{
    public static async Task<(int Status, JsonNode Body)> PostAsync(HttpClient http, object request)
    {
        using var response = await http.PostAsJsonAsync("/v1/completions", request);
        return ((int)response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    public static async Task<(int Status, JsonNode Body)> PostRawAsync(HttpClient http, string body, string contentType = "application/json")
    {
        using var content = new StringContent(body, Encoding.UTF8, contentType);
        using var response = await http.PostAsync("/v1/completions", content);
        return ((int)response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    /// <summary>A successful non-streaming completion; fails the test with the server's error otherwise.</summary>
    public static async Task<JsonNode> CompleteAsync(HttpClient http, object request)
    {
        var (status, body) = await PostAsync(http, request);
        Assert.True(status == 200, $"expected 200, got {status}: {body.ToJsonString()}");
        return body;
    }

    public static string Text(JsonNode completion, int choice = 0) => completion["choices"]![choice]!["text"]!.GetValue<string>();

    /// <summary>Posts a streaming request and returns every <c>data:</c> payload in order, <c>[DONE]</c> included.</summary>
    public static async Task<(int Status, string ContentType, List<string> Events)> StreamAsync(HttpClient http, object request)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = JsonContent.Create(request) };
        using var response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead);
        var events = new List<string>();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var data = new StringBuilder();
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal)) data.Append(line["data: ".Length..]);
            else if (line.Length == 0 && data.Length > 0)
            {
                events.Add(data.ToString());
                data.Clear();
            }
        }
        return ((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType ?? "", events);
    }

    /// <summary>Joins each choice's streamed text pieces: index → (text, finish reason).</summary>
    public static Dictionary<int, (string Text, string? Finish)> Assemble(IEnumerable<string> events)
    {
        var choices = new Dictionary<int, (string Text, string? Finish)>();
        foreach (var payload in events.Where(e => e != "[DONE]"))
        {
            var chunk = JsonNode.Parse(payload)!;
            foreach (var choice in chunk["choices"]!.AsArray())
            {
                var index = choice!["index"]!.GetValue<int>();
                var (text, finish) = choices.GetValueOrDefault(index, ("", null));
                choices[index] = (text + choice["text"]!.GetValue<string>(), choice["finish_reason"]?.GetValue<string>() ?? finish);
            }
        }
        return choices;
    }

    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web);
}
