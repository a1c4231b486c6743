using Orchestrator.Serving.Tests.TestSupport;

namespace Orchestrator.Serving.Tests.Http;

/// <summary>Continuous batching: concurrent requests share forwards, and sharing them does not change greedy text.</summary>
[Collection(ServerCollection.Name)]
public sealed class BatchingTests(ServerFixture server)
{
    private const int Clients = 8;
    private const int Tokens = 48;

    private static readonly string[] Prompts =
        ["ROMEO:", "JULIET: O", "First Citizen:\n", "Th", "MENENIUS:\nWhat", "All:\nAgainst", "S", "CORIOLANUS: Hence"];

    [Fact]
    public async Task Eight_concurrent_requests_share_forwards_and_get_the_text_they_get_alone()
    {
        var before = server.Host.Statistics;
        var together = await Task.WhenAll(Prompts.Select(prompt =>
            OpenAiHttp.CompleteAsync(server.Http, new { prompt, max_tokens = Tokens, temperature = 0 })));
        var after = server.Host.Statistics;

        var forwards = after.Forwards - before.Forwards;
        var tokens = after.GeneratedTokens - before.GeneratedTokens;
        Assert.Equal(Clients * Tokens, tokens);
        // One at a time would take Clients × Tokens forwards; batched it is about Tokens decode steps plus a few prefills.
        Assert.True(forwards <= Clients * Tokens / 4, $"{forwards} forwards for {tokens} tokens: the requests were not batched");
        Assert.True(after.LargestDecodeBatch >= 4, $"the largest decode batch was {after.LargestDecodeBatch}");

        for (var i = 0; i < Clients; i++)
        {
            var alone = await OpenAiHttp.CompleteAsync(server.Http, new { prompt = Prompts[i], max_tokens = Tokens, temperature = 0 });
            Assert.Equal(OpenAiHttp.Text(alone), OpenAiHttp.Text(together[i]));
        }
    }
}
