using System.Text.Json;
using Orchestrator.Serving.Tests.TestSupport;

namespace Orchestrator.Serving.Tests.Clients;

/// <summary>Streaming as a shell user sees it: <c>curl -N</c> prints each Server-Sent Event as it arrives.</summary>
[Collection(ServerCollection.Name)]
public sealed class CurlTests(ServerFixture server)
{
    [ToolFact("curl")]
    public async Task Curl_streams_one_event_per_token_ending_with_done()
    {
        var request = new { prompt = "MARCIUS:", max_tokens = 15, temperature = 0.7, seed = 99 };
        var expected = OpenAiHttp.Text(await OpenAiHttp.CompleteAsync(server.Http, request));

        var body = JsonSerializer.Serialize(new { request.prompt, request.max_tokens, request.temperature, request.seed, stream = true });
        var (exit, output) = await ExternalTools.RunAsync("curl",
            ["-sS", "-N", "--fail-with-body", "-H", "Content-Type: application/json", "-d", body, new Uri(server.Host.Url, "v1/completions").ToString()]);

        Assert.True(exit == 0, $"curl failed:\n{output}");
        var events = output.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).ToList();
        Assert.All(events, e => Assert.StartsWith("data: ", e));
        Assert.Equal("data: [DONE]", events[^1]);
        Assert.Equal(16, events.Count);
        var (text, finish) = OpenAiHttp.Assemble(events.Select(e => e["data: ".Length..]))[0];
        Assert.Equal(expected, text);
        Assert.Equal("length", finish);
    }
}
