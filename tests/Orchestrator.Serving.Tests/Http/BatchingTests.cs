using Orchestrator.Serving.Engine;
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
        BatcherStatistics after;
        string[] texts;
        // All eight are admitted in one step however the requests' arrival interleaves with decoding (on a loaded
        // machine the first ones used to run a few steps alone, and the forward count depended on timing).
        using (server.Host.Batcher.HoldAdmissionUntilWaiting(Clients))
        {
            var together = await Task.WhenAll(Prompts.Select(prompt =>
                OpenAiHttp.CompleteAsync(server.Http, new { prompt, max_tokens = Tokens, temperature = 0 })));
            after = server.Host.Statistics;
            texts = together.Select(completion => OpenAiHttp.Text(completion)).ToArray();
        }

        var decodeForwards = after.DecodeForwards - before.DecodeForwards;
        var forwards = after.Forwards - before.Forwards;
        var tokens = after.GeneratedTokens - before.GeneratedTokens;
        Assert.Equal(Clients * Tokens, tokens);
        // One at a time would take Clients × Tokens decode forwards; together it is one step per token, each with at most
        // one decode forward and one prefill forward (the prompts, and contexts restarting when they fill block_size).
        Assert.True(decodeForwards <= Tokens, $"{decodeForwards} decode forwards for {tokens} tokens: the requests were not batched");
        Assert.True(forwards <= 2 * Tokens, $"{forwards} forwards for {tokens} tokens: the requests were not batched");
        Assert.Equal(Clients, after.LargestDecodeBatch);

        for (var i = 0; i < Clients; i++)
        {
            var alone = await OpenAiHttp.CompleteAsync(server.Http, new { prompt = Prompts[i], max_tokens = Tokens, temperature = 0 });
            Assert.Equal(OpenAiHttp.Text(alone), texts[i]);
        }
    }
}
