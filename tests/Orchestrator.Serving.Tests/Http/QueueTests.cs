using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Grpc.Core;
using Grpc.Net.Client;
using Orchestrator.Serving.Protos;
using Orchestrator.Serving.Tests.TestSupport;

namespace Orchestrator.Serving.Tests.Http;

/// <summary>A server with one batch slot and one queue place: the third concurrent request is refused, not queued.</summary>
public sealed class QueueTests : IAsyncLifetime
{
    private ServingHost _host = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _host = await ServerFixture.StartAsync(new ServingOptions
        {
            CheckpointPath = TestCheckpoint.Directory, Port = 0, Threads = 1, MaxBatch = 1, QueueCapacity = 1, MaxTokensLimit = 1_000_000,
        });
        _http = new HttpClient { BaseAddress = _host.Url, Timeout = TimeSpan.FromSeconds(60) };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task A_full_queue_answers_429_and_resource_exhausted_and_a_client_that_leaves_frees_its_slot()
    {
        // A: a stream that would run for minutes holds the only batch slot.
        using var longRequest = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = JsonContent.Create(new { prompt = "ROMEO:", max_tokens = 1_000_000, stream = true }),
        };
        var longResponse = await _http.SendAsync(longRequest, HttpCompletionOption.ResponseHeadersRead);
        var longStream = new StreamReader(await longResponse.Content.ReadAsStreamAsync());
        Assert.StartsWith("data: ", await longStream.ReadLineAsync());

        // B: waits in the queue's one place.
        var queued = OpenAiHttp.PostAsync(_http, new { prompt = "JULIET:", max_tokens = 5 });
        await WaitUntil(() => _host.Statistics.Waiting == 1);

        // C: no room.
        using var refused = await _http.PostAsJsonAsync("/v1/completions", new { prompt = "MARCIUS:", max_tokens = 5 });
        Assert.Equal(429, (int)refused.StatusCode);
        Assert.Equal("1", refused.Headers.RetryAfter?.ToString());
        var error = JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal("rate_limit_error", error["type"]!.GetValue<string>());
        Assert.Equal("queue_full", error["code"]!.GetValue<string>());
        Assert.Contains("queue holds at most 1", error["message"]!.GetValue<string>());

        using var channel = GrpcChannel.ForAddress(_host.GrpcUrl);
        var client = new Protos.Inference.InferenceClient(channel);
        var grpcError = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = client.Generate(new GenerateRequest { Prompt = "MARCIUS:", MaxTokens = 5 });
            await call.ResponseStream.MoveNext();
        });
        Assert.Equal(StatusCode.ResourceExhausted, grpcError.StatusCode);
        Assert.Contains("at capacity", grpcError.Status.Detail);

        // A's client goes away: its slot is freed at the next step and B runs (A alone would take minutes).
        longStream.Dispose();
        longResponse.Dispose();
        var (status, body) = await queued.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(200, status);
        Assert.Equal(5, OpenAiHttp.Text(body).Length);
        await WaitUntil(() => _host.Statistics is { Running: 0, Waiting: 0 });
        Assert.Equal(200, (await OpenAiHttp.PostAsync(_http, new { prompt = "MARCIUS:", max_tokens = 5 })).Status);
    }

    [Fact]
    public async Task A_queued_request_whose_client_leaves_gives_its_queue_place_back()
    {
        using var longRequest = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = JsonContent.Create(new { prompt = "ROMEO:", max_tokens = 1_000_000, stream = true }),
        };
        using var longResponse = await _http.SendAsync(longRequest, HttpCompletionOption.ResponseHeadersRead);
        await WaitUntil(() => _host.Statistics.Running == 1);

        using (var leaving = new CancellationTokenSource())
        {
            var queued = _http.PostAsJsonAsync("/v1/completions", new { prompt = "JULIET:", max_tokens = 5 }, leaving.Token);
            await WaitUntil(() => _host.Statistics.Waiting == 1);
            leaving.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued);
        }
        await WaitUntil(() => _host.Statistics.Waiting == 0);

        // The place is free again: the next request queues instead of being refused.
        var next = OpenAiHttp.PostAsync(_http, new { prompt = "MARCIUS:", max_tokens = 5 });
        await WaitUntil(() => _host.Statistics.Waiting == 1);
        longResponse.Dispose();
        Assert.Equal(200, (await next.WaitAsync(TimeSpan.FromSeconds(20))).Status);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the server did not reach the expected state within 20 s");
            await Task.Delay(10);
        }
    }
}
