using System.Globalization;
using System.Net.Http.Json;
using Orchestrator.Serving.Telemetry;
using Orchestrator.Telemetry.Tests.TestSupport;

namespace Orchestrator.Telemetry.Tests;

/// <summary>
/// `orchestrator serve` scraped by a real Prometheus: its /metrics come from the shared AddOrchestratorTelemetry
/// (service.name, process memory), and its latency histograms have bounds in seconds rather than OpenTelemetry's defaults.
/// </summary>
[Collection(RealProcessCollection.Name)]
public sealed class ServingScrapeTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Prometheus_scrapes_service_name_memory_and_second_scaled_latency_buckets_from_serve()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.Sub("input.txt"), File.ReadAllText(RepositoryPaths.TinyShakespeare)[..20_000]);
        await Cli(TimeSpan.FromMinutes(2), "prepare", "--input", temp.Sub("input.txt"), "--tokenizer", "char", "--out", temp.Sub("data"));
        await Cli(TimeSpan.FromMinutes(4), "train", "--data", temp.Sub("data"), "--out", temp.Sub("run"), "--n-layer", "1", "--n-head", "2", "--n-embd", "16",
            "--block-size", "16", "--batch-size", "2", "--max-steps", "2", "--warmup-steps", "1", "--eval-interval", "2", "--eval-batches", "1",
            "--checkpoint-interval", "2", "--threads", "1");

        var ports = FreePorts.Take(3);
        int http = ports[0], grpc = ports[1], prometheusPort = ports[2];
        using var serve = ChildProcess.Cli("serve", "serve", temp.Sub("run"), "--port", $"{http}", "--grpc-port", $"{grpc}", "--threads", "1");
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{http}/") };
        await WaitReadyAsync(client, serve);
        Assert.Contains($"playground and OpenAI-style API at http://127.0.0.1:{http}/", serve.Describe());

        const int Requests = 3;
        for (var i = 0; i < Requests; i++)
        {
            using var response = await client.PostAsJsonAsync("v1/completions", new { prompt = "ROMEO:", max_tokens = 4 });
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync() + serve.Describe());
        }
        using var prometheus = new PrometheusServer(temp.Path, prometheusPort, [$"127.0.0.1:{http}"]);
        string Context() => serve.Describe() + "\n" + prometheus.Output;

        await prometheus.WaitForAsync("orchestrator_serving_requests_total{outcome=\"ok\"}", r => r.Sum(s => s.Value) == Requests, Patience, Context);
        var info = await prometheus.WaitForAsync("target_info", r => r.Count == 1, Patience, Context);
        Assert.Equal("orchestrator-server", info.Single().Labels["service_name"]);
        Assert.Single(await prometheus.QueryAsync("orchestrator_process_resident_memory_bytes > 0"));
        Assert.Single(await prometheus.QueryAsync("orchestrator_process_managed_memory_bytes > 0"));

        foreach (var histogram in new[] { "orchestrator_serving_time_to_first_token_seconds", "orchestrator_serving_request_duration_seconds" })
        {
            var buckets = await prometheus.QueryAsync($"sum by (le) ({histogram}_bucket)");
            var bounds = buckets.Select(b => b.Labels["le"]).Where(le => le != "+Inf").Select(le => double.Parse(le, CultureInfo.InvariantCulture)).Order().ToList();
            Assert.Equal(ServingMetrics.LatencyBuckets, bounds);
            Assert.Equal(Requests, buckets.Single(b => b.Labels["le"] == "+Inf").Value);
        }
    }

    private static async Task Cli(TimeSpan timeout, params string[] arguments)
    {
        var result = await Tool.RunAsync("dotnet", [RepositoryPaths.CliDll, .. arguments], timeout: timeout);
        Assert.True(result.ExitCode == 0, result.Describe());
    }

    private static async Task WaitReadyAsync(HttpClient client, ChildProcess serve)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(serve.HasExited, serve.Describe());
            try
            {
                using var ready = await client.GetAsync("readyz");
                if (ready.IsSuccessStatusCode && serve.Describe().Contains("playground", StringComparison.Ordinal)) return;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(250);
        }
        throw new Xunit.Sdk.XunitException("serve never became ready\n" + serve.Describe());
    }
}
