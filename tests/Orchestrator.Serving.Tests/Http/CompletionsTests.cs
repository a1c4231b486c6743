using System.Text;
using System.Text.Json.Nodes;
using Orchestrator.Serving.Tests.TestSupport;
using Orchestrator.Training.Checkpoints;
using Orchestrator.Inference.Generation;
using static TorchSharp.torch;
using Orchestrator.Inference;

namespace Orchestrator.Serving.Tests.Http;

[Collection(ServerCollection.Name)]
public sealed class CompletionsTests(ServerFixture server)
{
    private const string Model = TestCheckpoint.RunName;

    private HttpClient Http => server.Http;

    [Fact]
    public async Task Non_streaming_completion_has_the_openai_shape_and_usage()
    {
        var body = await OpenAiHttp.CompleteAsync(Http, new { model = Model, prompt = "ROMEO:", max_tokens = 12, temperature = 0 });

        Assert.StartsWith("cmpl-", body["id"]!.GetValue<string>());
        Assert.Equal("text_completion", body["object"]!.GetValue<string>());
        Assert.Equal(Model, body["model"]!.GetValue<string>());
        Assert.InRange(body["created"]!.GetValue<long>(), DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
        var choice = Assert.Single(body["choices"]!.AsArray())!;
        Assert.Equal(0, choice["index"]!.GetValue<int>());
        Assert.Equal("length", choice["finish_reason"]!.GetValue<string>());
        Assert.Null(choice["logprobs"]);
        Assert.Equal(12, choice["text"]!.GetValue<string>().Length); // char tokenizer: one character per token
        Assert.Equal(6, body["usage"]!["prompt_tokens"]!.GetValue<int>());
        Assert.Equal(12, body["usage"]!["completion_tokens"]!.GetValue<int>());
        Assert.Equal(18, body["usage"]!["total_tokens"]!.GetValue<int>());
    }

    [Fact]
    public async Task Streaming_sends_the_same_text_as_one_event_per_token_then_done()
    {
        var request = new { model = Model, prompt = "JULIET:", max_tokens = 20, temperature = 0.9, seed = 11 };
        var whole = OpenAiHttp.Text(await OpenAiHttp.CompleteAsync(Http, request));

        var (status, contentType, events) = await OpenAiHttp.StreamAsync(Http, new { request.model, request.prompt, request.max_tokens, request.temperature, request.seed, stream = true });

        Assert.Equal(200, status);
        Assert.Equal("text/event-stream", contentType);
        Assert.Equal("[DONE]", events[^1]);
        Assert.Equal(21, events.Count); // 20 one-character pieces (the last with its finish reason) and [DONE]
        var chunk = JsonNode.Parse(events[0])!;
        Assert.Equal("text_completion", chunk["object"]!.GetValue<string>());
        Assert.StartsWith("cmpl-", chunk["id"]!.GetValue<string>());
        Assert.Null(chunk["choices"]![0]!["finish_reason"]);
        var (text, finish) = OpenAiHttp.Assemble(events)[0];
        Assert.Equal(whole, text);
        Assert.Equal("length", finish);
    }

    [Fact]
    public async Task Streaming_with_include_usage_ends_with_a_usage_chunk()
    {
        var (_, _, events) = await OpenAiHttp.StreamAsync(Http, new
        {
            model = Model, prompt = "MARCIUS:", max_tokens = 7, temperature = 0, stream = true, stream_options = new { include_usage = true },
        });

        var usageChunk = JsonNode.Parse(events[^2])!;
        Assert.Empty(usageChunk["choices"]!.AsArray());
        Assert.Equal(8, usageChunk["usage"]!["prompt_tokens"]!.GetValue<int>());
        Assert.Equal(7, usageChunk["usage"]!["completion_tokens"]!.GetValue<int>());
        Assert.All(events[..^2], e => Assert.Null(JsonNode.Parse(e)!["usage"]));
    }

    [Fact]
    public async Task N_choices_per_prompt_are_numbered_prompt_major_and_sample_differently()
    {
        var body = await OpenAiHttp.CompleteAsync(Http, new { model = Model, prompt = new[] { "First", "Second" }, n = 3, max_tokens = 16, temperature = 1.0, seed = 5 });

        var choices = body["choices"]!.AsArray();
        Assert.Equal(new[] { 0, 1, 2, 3, 4, 5 }, choices.Select(c => c!["index"]!.GetValue<int>()));
        Assert.All(choices, c => Assert.Equal(16, c!["text"]!.GetValue<string>().Length));
        Assert.Equal(3, choices.Take(3).Select(c => c!["text"]!.GetValue<string>()).Distinct().Count());
        Assert.Equal(5 + 6, body["usage"]!["prompt_tokens"]!.GetValue<int>());
        Assert.Equal(6 * 16, body["usage"]!["completion_tokens"]!.GetValue<int>());

        // Choice i is seeded with seed + i: choice 1 of this request is choice 0 of a request seeded 6.
        var shifted = await OpenAiHttp.CompleteAsync(Http, new { model = Model, prompt = "First", max_tokens = 16, temperature = 1.0, seed = 6 });
        Assert.Equal(OpenAiHttp.Text(shifted), OpenAiHttp.Text(body, 1));
    }

    [Fact]
    public async Task Streaming_several_choices_assembles_each_choice_as_the_whole_response_has_it()
    {
        var request = new { model = Model, prompt = "Hark", n = 2, max_tokens = 10, temperature = 1.0, seed = 3 };
        var whole = await OpenAiHttp.CompleteAsync(Http, request);
        var (_, _, events) = await OpenAiHttp.StreamAsync(Http, new { request.model, request.prompt, request.n, request.max_tokens, request.temperature, request.seed, stream = true });

        var streamed = OpenAiHttp.Assemble(events);
        Assert.Equal(OpenAiHttp.Text(whole, 0), streamed[0].Text);
        Assert.Equal(OpenAiHttp.Text(whole, 1), streamed[1].Text);
    }

    [Fact]
    public async Task A_stop_sequence_ends_the_text_before_it_with_finish_reason_stop()
    {
        var free = OpenAiHttp.Text(await OpenAiHttp.CompleteAsync(Http, new { model = Model, prompt = "ROMEO:", max_tokens = 40, temperature = 1.0, seed = 21 }));
        var stop = free.Substring(20, 3);
        var expected = free[..free.IndexOf(stop, StringComparison.Ordinal)];

        var stopped = await OpenAiHttp.CompleteAsync(Http, new { model = Model, prompt = "ROMEO:", max_tokens = 40, temperature = 1.0, seed = 21, stop = new[] { "never-produced", stop } });
        Assert.Equal(expected, OpenAiHttp.Text(stopped));
        Assert.Equal("stop", stopped["choices"]![0]!["finish_reason"]!.GetValue<string>());

        var (_, _, events) = await OpenAiHttp.StreamAsync(Http, new { model = Model, prompt = "ROMEO:", max_tokens = 40, temperature = 1.0, seed = 21, stop, stream = true });
        Assert.Equal((expected, "stop"), OpenAiHttp.Assemble(events)[0]);
    }

    [Fact]
    public async Task The_same_seed_gives_the_same_text_and_another_seed_another()
    {
        object Request(int seed) => new { model = Model, prompt = "To be", max_tokens = 30, temperature = 1.0, top_p = 0.95, top_k = 40, seed };
        var first = OpenAiHttp.Text(await OpenAiHttp.CompleteAsync(Http, Request(42)));
        var again = OpenAiHttp.Text(await OpenAiHttp.CompleteAsync(Http, Request(42)));
        var other = OpenAiHttp.Text(await OpenAiHttp.CompleteAsync(Http, Request(43)));

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    [Theory]
    [InlineData(0.0, null)]
    [InlineData(0.8, 7L)]
    public async Task Completions_equal_the_text_generator_including_past_the_context_window(double temperature, long? seed)
    {
        // 80 tokens after a 10-token prompt cross block_size (32) twice: the server must slide its window as TextGenerator does.
        const string prompt = "MENENIUS: ";
        var body = await OpenAiHttp.CompleteAsync(Http, new { model = Model, prompt, max_tokens = 80, temperature, seed });

        using var trained = TrainedModel.Load(TestCheckpoint.Directory, CPU);
        var generator = new TextGenerator(trained.Model, CPU);
        var ids = generator.Generate(trained.Tokenizer.Encode(Encoding.UTF8.GetBytes(prompt)),
            new GenerationOptions { MaxTokens = 80, Temperature = temperature, Seed = (ulong?)seed }).ToArray();
        Assert.Equal(Encoding.UTF8.GetString(trained.Tokenizer.Decode(ids)), OpenAiHttp.Text(body));
    }

    [Fact]
    public async Task A_prompt_longer_than_the_context_is_truncated_from_the_left()
    {
        var tail = TestCheckpoint.Corpus.Substring(1000, TestCheckpoint.BlockSize);
        var longPrompt = TestCheckpoint.Corpus.Substring(1000 - 70, 70) + tail;

        var fromLong = await OpenAiHttp.CompleteAsync(Http, new { model = Model, prompt = longPrompt, max_tokens = 10, temperature = 0 });
        var fromTail = await OpenAiHttp.CompleteAsync(Http, new { model = Model, prompt = tail, max_tokens = 10, temperature = 0 });

        Assert.Equal(OpenAiHttp.Text(fromTail), OpenAiHttp.Text(fromLong));
        Assert.Equal(longPrompt.Length, fromLong["usage"]!["prompt_tokens"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_missing_model_means_the_served_one_and_an_empty_prompt_starts_from_a_newline()
    {
        var body = await OpenAiHttp.CompleteAsync(Http, new { prompt = "", max_tokens = 5, temperature = 0 });
        Assert.Equal(Model, body["model"]!.GetValue<string>());
        Assert.Equal(1, body["usage"]!["prompt_tokens"]!.GetValue<int>());
        Assert.Equal(OpenAiHttp.Text(await OpenAiHttp.CompleteAsync(Http, new { prompt = "\n", max_tokens = 5, temperature = 0 })), OpenAiHttp.Text(body));
    }
}
