using System.Net;
using System.Text.Json.Nodes;
using Orchestrator.Serving.Tests.TestSupport;

namespace Orchestrator.Serving.Tests.Http;

/// <summary>
/// A route the server does not offer (an OpenAI client trying chat completions) gets a 404 with an OpenAI-style error
/// body naming the route, which OpenAI client libraries turn into a readable error.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class UnknownRouteTests(ServerFixture server)
{
    [Theory]
    [InlineData("POST", "/v1/chat/completions")]
    [InlineData("GET", "/v1/engines")]
    public async Task An_unknown_route_gets_a_404_with_an_openai_error_body_naming_it(string method, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST") request.Content = new StringContent("""{"model":"x","messages":[]}""", System.Text.Encoding.UTF8, "application/json");

        using var response = await server.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal("invalid_request_error", error["type"]!.GetValue<string>());
        Assert.Equal("unknown_url", error["code"]!.GetValue<string>());
        Assert.Contains($"{method} {path}", error["message"]!.GetValue<string>());
        Assert.Contains("POST /v1/completions", error["message"]!.GetValue<string>());
    }
}
