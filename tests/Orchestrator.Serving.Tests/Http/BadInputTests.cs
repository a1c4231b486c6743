using System.Text.Json.Nodes;
using Orchestrator.Serving.Tests.TestSupport;

namespace Orchestrator.Serving.Tests.Http;

/// <summary>Every refused request gets a 400 with an OpenAI error body naming the parameter, and the server keeps serving.</summary>
[Collection(ServerCollection.Name)]
public sealed class BadInputTests(ServerFixture server)
{
    public static TheoryData<string, string?, string, string> BadBodies => new()
    {
        // body, param, code, a phrase the message must hold
        { """{"model":"gpt-4","prompt":"hi"}""", "model", "model_not_found", "'gpt-4' does not exist" },
        { """{"prompt":"hi","max_tokens":-1}""", "max_tokens", "invalid_value", "max_tokens is -1" },
        { """{"prompt":"hi","max_tokens":0}""", "max_tokens", "invalid_value", "between 1 and 2048" },
        { """{"prompt":"hi","max_tokens":1000000}""", "max_tokens", "invalid_value", "max_tokens is 1000000" },
        { """{"prompt":"hi","max_tokens":1e30}""", "max_tokens", "invalid_value", "whole number" },
        { """{"prompt":"hi","max_tokens":"ten"}""", "max_tokens", "invalid_type", "must be an integer" },
        { """{"prompt":"hi","temperature":-0.5}""", "temperature", "invalid_value", "temperature is -0.5" },
        { """{"prompt":"hi","temperature":2.5}""", "temperature", "invalid_value", "between 0 (greedy) and 2" },
        { """{"prompt":"hi","top_p":0}""", "top_p", "invalid_value", "top_p is 0" },
        { """{"prompt":"hi","top_p":1.5}""", "top_p", "invalid_value", "top_p is 1.5" },
        { """{"prompt":"hi","top_k":0}""", "top_k", "invalid_value", "top_k is 0" },
        { """{"prompt":"hi","n":0}""", "n", "invalid_value", "n is 0" },
        { """{"prompt":"hi","n":17}""", "n", "invalid_value", "between 1 and 16" },
        { """{"prompt":"hi","stop":["a","b","c","d","e"]}""", "stop", "invalid_value", "at most 4" },
        { """{"prompt":"hi","stop":[""]}""", "stop", "invalid_value", "must not be empty" },
        { """{"prompt":"hi","stop":7}""", "stop", "invalid_type", "a string or an array of strings" },
        { """{"prompt":42}""", "prompt", "invalid_type", "a string or an array of strings" },
        { """{"prompt":[1,2,3]}""", "prompt", "invalid_value", "prompt[0] is the number 1" },
        { """{"prompt":[]}""", "prompt", "invalid_value", "empty array" },
        { """{"max_tokens":5}""", "prompt", "missing_required_parameter", "prompt is required" },
        { """{"prompt":"price: 5€"}""", "prompt", "invalid_value", "cannot be encoded" },
        { """{"prompt":"hi","seed":"abc"}""", "seed", "invalid_type", "64-bit integer" },
        { """{"prompt":"hi","stream":"yes"}""", "stream", "invalid_type", "true or false" },
        { """{"prompt":"hi","logprobs":5}""", "logprobs", "unsupported_parameter", "not supported" },
        { """{"prompt":"hi","echo":true}""", "echo", "unsupported_parameter", "not supported" },
        { """{"prompt":"hi","frequency_penalty":0.5}""", "frequency_penalty", "unsupported_parameter", "not supported" },
        { """{"prompt":["a","b","c","d","e","f","g","h","i"],"n":5}""", "n", "invalid_value", "holds at most 40 at once" },
        { """{"prompt":"hi",""", null, "invalid_json", "not valid JSON" },
        { """not json at all""", null, "invalid_json", "not valid JSON" },
        { """[1,2]""", null, "invalid_json", "must be a JSON object" },
        { "", null, "invalid_json", "not valid JSON" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task A_bad_request_gets_400_with_an_openai_error_naming_the_parameter(string body, string? param, string code, string phrase)
    {
        var (status, error) = await OpenAiHttp.PostRawAsync(server.Http, body);

        Assert.Equal(400, status);
        var details = error["error"]!;
        Assert.Equal("invalid_request_error", details["type"]!.GetValue<string>());
        Assert.Equal(param, details["param"]?.GetValue<string>());
        Assert.Equal(code, details["code"]!.GetValue<string>());
        Assert.Contains(phrase, details["message"]!.GetValue<string>());
        Assert.True(((JsonObject)details).ContainsKey("param"), "param must be present (null when no single parameter is at fault)");

        // The server keeps serving.
        var ok = await OpenAiHttp.CompleteAsync(server.Http, new { prompt = "hi", max_tokens = 2 });
        Assert.Equal(2, OpenAiHttp.Text(ok).Length);
    }

    [Fact]
    public async Task A_bad_streaming_request_is_refused_before_the_stream_starts()
    {
        var (status, contentType, events) = await OpenAiHttp.StreamAsync(server.Http, new { prompt = "hi", temperature = -1, stream = true });
        Assert.Equal(400, status);
        Assert.Equal("application/json", contentType);
        Assert.Empty(events);
    }

    [Fact]
    public async Task A_body_over_one_mebibyte_is_refused_with_413()
    {
        // As curl does for large bodies: ask first (Expect: 100-continue), so the refusal is read before any of the
        // body is sent; without it the server's early 413 can race the upload and surface as a broken pipe.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = new StringContent($$"""{"prompt":"{{new string('a', 1_100_000)}}"}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.ExpectContinue = true;
        using var response = await server.Http.SendAsync(request);
        Assert.Equal(413, (int)response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("invalid_body", error["error"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_unknown_model_id_is_404_on_the_models_endpoint()
    {
        using var response = await server.Http.GetAsync("/v1/models/gpt-4");
        Assert.Equal(404, (int)response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal("model_not_found", error["code"]!.GetValue<string>());
    }
}
