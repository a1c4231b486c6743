using System.Text;
using Grpc.Core;
using Grpc.Net.Client;
using Orchestrator.Serving.Protos;
using Orchestrator.Serving.Tests.TestSupport;

namespace Orchestrator.Serving.Tests.Grpc;

[Collection(ServerCollection.Name)]
public sealed class GenerateTests(ServerFixture server)
{
    private static async Task<(Dictionary<int, string> Texts, Dictionary<int, string> Finish, List<GenerateResponse> Messages)> GenerateAsync(ServingHost host, GenerateRequest request)
    {
        using var channel = GrpcChannel.ForAddress(host.GrpcUrl);
        using var call = new Protos.Inference.InferenceClient(channel).Generate(request);
        var texts = new Dictionary<int, StringBuilder>();
        var finish = new Dictionary<int, string>();
        var messages = new List<GenerateResponse>();
        await foreach (var message in call.ResponseStream.ReadAllAsync())
        {
            messages.Add(message);
            (texts.TryGetValue(message.Index, out var text) ? text : texts[message.Index] = new StringBuilder()).Append(message.Text);
            if (message.FinishReason.Length > 0) finish[message.Index] = message.FinishReason;
        }
        return (texts.ToDictionary(kv => kv.Key, kv => kv.Value.ToString()), finish, messages);
    }

    [Fact]
    public async Task Generate_streams_the_same_text_as_http_for_the_same_seed()
    {
        var http = await OpenAiHttp.CompleteAsync(server.Http, new { prompt = "ROMEO:", max_tokens = 30, temperature = 0.9, top_k = 20, seed = 77, n = 2 });

        var (texts, finish, messages) = await GenerateAsync(server.Host, new GenerateRequest
        {
            Model = TestCheckpoint.RunName, Prompt = "ROMEO:", MaxTokens = 30, Temperature = 0.9, TopK = 20, Seed = 77, N = 2,
        });

        Assert.Equal(OpenAiHttp.Text(http, 0), texts[0]);
        Assert.Equal(OpenAiHttp.Text(http, 1), texts[1]);
        Assert.Equal("length", finish[0]);
        Assert.True(messages.Count >= 60, $"expected one message per token, got {messages.Count}");
        var usage = messages[^1].Usage;
        Assert.Equal(6, usage.PromptTokens);
        Assert.Equal(60, usage.CompletionTokens);
        Assert.Equal(66, usage.TotalTokens);
        Assert.All(messages[..^1], m => Assert.Null(m.Usage));
    }

    [Fact]
    public async Task Generate_honours_stop_sequences_like_http()
    {
        var request = new { prompt = "JULIET:", max_tokens = 40, temperature = 1.0, seed = 8 };
        var free = OpenAiHttp.Text(await OpenAiHttp.CompleteAsync(server.Http, request));
        var stop = free.Substring(15, 2);

        var (texts, finish, _) = await GenerateAsync(server.Host, new GenerateRequest { Prompt = "JULIET:", MaxTokens = 40, Temperature = 1.0, Seed = 8, Stop = { stop } });
        Assert.Equal(free[..free.IndexOf(stop, StringComparison.Ordinal)], texts[0]);
        Assert.Equal("stop", finish[0]);
    }

    [Theory]
    [InlineData("temperature", "temperature is -1")]
    [InlineData("model", "'gpt-4' does not exist")]
    [InlineData("max_tokens", "max_tokens is 0")]
    public async Task A_bad_request_fails_with_invalid_argument_naming_the_field(string field, string phrase)
    {
        var request = new GenerateRequest { Prompt = "hi" };
        switch (field)
        {
            case "temperature": request.Temperature = -1; break;
            case "model": request.Model = "gpt-4"; break;
            default: request.MaxTokens = 0; break;
        }
        var error = await Assert.ThrowsAsync<RpcException>(() => GenerateAsync(server.Host, request));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith($"{field}: ", error.Status.Detail);
        Assert.Contains(phrase, error.Status.Detail);
    }
}
