using System.Text.Json.Nodes;
using Orchestrator.Serving.Tests.TestSupport;

namespace Orchestrator.Serving.Tests.Clients;

/// <summary>The official OpenAI Node client, unmodified, pointed at the server: the API is OpenAI's in fact, not only in name.</summary>
[Collection(ServerCollection.Name)]
public sealed class OpenAiClientTests(ServerFixture server)
{
    [NpmFact]
    public async Task The_official_openai_client_completes_streams_and_reads_errors()
    {
        const string prompt = "ROMEO:";
        const int seed = 1234;
        var expected = OpenAiHttp.Text(await OpenAiHttp.CompleteAsync(server.Http, new { prompt, max_tokens = 24, temperature = 0.8, seed }));

        var (exit, output) = await ExternalTools.RunAsync("node",
            [Path.Combine(OpenAiClient.Directory, "client.mjs"), new Uri(server.Host.Url, "v1").ToString(), TestCheckpoint.RunName, prompt, seed.ToString()],
            workingDirectory: OpenAiClient.Directory, timeout: TimeSpan.FromSeconds(90));
        Assert.True(exit == 0, $"the OpenAI client failed:\n{output}");
        var seen = JsonNode.Parse(output.Trim().Split('\n')[^1])!;

        Assert.Equal([TestCheckpoint.RunName], seen["models"]!.AsArray().Select(m => m!.GetValue<string>()));
        Assert.Equal(expected, seen["text"]!.GetValue<string>());
        Assert.Equal("length", seen["finish"]!.GetValue<string>());
        Assert.Equal(24, seen["usage"]!["completion_tokens"]!.GetValue<int>());
        Assert.Equal(expected, seen["streamed"]!.GetValue<string>());
        Assert.Equal("length", seen["streamedFinish"]!.GetValue<string>());
        Assert.Equal(24, seen["chunks"]!.GetValue<int>());
        Assert.Equal(30, seen["streamUsage"]!["total_tokens"]!.GetValue<int>());
        var error = seen["error"]!;
        Assert.Equal("BadRequestError", error["name"]!.GetValue<string>());
        Assert.Equal(400, error["status"]!.GetValue<int>());
        Assert.Equal("temperature", error["param"]!.GetValue<string>());
        Assert.Contains("temperature is -1", error["message"]!.GetValue<string>());
    }
}
