using System.Text.Json.Nodes;
using Orchestrator.Models;
using Orchestrator.Serving.Tests.TestSupport;

namespace Orchestrator.Serving.Tests.Http;

/// <summary>A recurrent checkpoint is served through the same batched loop, with no context limit.</summary>
public sealed class RecurrentServingTests
{
    [Fact]
    public async Task An_lstm_checkpoint_batches_concurrent_requests_and_decodes_past_any_window()
    {
        using var run = new TempDirectory();
        var checkpoint = TestCheckpoint.Create(run.Path, new ModelConfig { Model = "lstm", BlockSize = 16, NLayer = 2, NEmbd = 32 }, steps: 50);
        await using var host = await ServerFixture.StartAsync(new ServingOptions { CheckpointPath = checkpoint, Port = 0, Threads = 1 });
        using var http = new HttpClient { BaseAddress = host.Url };
        string[] prompts = ["ROMEO:", "JULIET: O", "First", "S"];

        var before = host.Statistics;
        JsonNode[] together;
        using (host.Batcher.HoldAdmissionUntilWaiting(prompts.Length)) // admitted together, however the requests arrive
            together = await Task.WhenAll(prompts.Select(prompt => OpenAiHttp.CompleteAsync(http, new { prompt, max_tokens = 40, temperature = 0 })));
        var forwards = host.Statistics.Forwards - before.Forwards;
        Assert.True(forwards < prompts.Length * 40 / 2, $"{forwards} forwards for {prompts.Length} × 40 tokens: not batched");

        for (var i = 0; i < prompts.Length; i++)
        {
            var alone = await OpenAiHttp.CompleteAsync(http, new { prompt = prompts[i], max_tokens = 40, temperature = 0 });
            Assert.Equal(40, OpenAiHttp.Text(alone).Length);
            Assert.Equal(OpenAiHttp.Text(alone), OpenAiHttp.Text(together[i]));
        }
    }
}
