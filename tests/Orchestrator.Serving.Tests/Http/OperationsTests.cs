using System.Text.Json.Nodes;
using Orchestrator.Serving.Tests.TestSupport;

namespace Orchestrator.Serving.Tests.Http;

/// <summary>What operators and clients poll: the model list, liveness, readiness and Prometheus metrics.</summary>
[Collection(ServerCollection.Name)]
public sealed class OperationsTests(ServerFixture server)
{
    [Fact]
    public async Task Models_lists_the_served_model_under_the_run_name()
    {
        var list = JsonNode.Parse(await server.Http.GetStringAsync("/v1/models"))!;
        Assert.Equal("list", list["object"]!.GetValue<string>());
        var model = Assert.Single(list["data"]!.AsArray())!;
        Assert.Equal(TestCheckpoint.RunName, model["id"]!.GetValue<string>());
        Assert.Equal("model", model["object"]!.GetValue<string>());
        Assert.Equal("orchestrator", model["owned_by"]!.GetValue<string>());

        var single = JsonNode.Parse(await server.Http.GetStringAsync($"/v1/models/{TestCheckpoint.RunName}"))!;
        Assert.Equal(TestCheckpoint.RunName, single["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Health_and_readiness_answer_200_while_serving()
    {
        Assert.Equal("ok\n", await server.Http.GetStringAsync("/healthz"));
        Assert.Equal("ready\n", await server.Http.GetStringAsync("/readyz"));
    }

    private static readonly string[] MetricNames =
    [
        "orchestrator_serving_requests_total",
        "orchestrator_serving_request_duration_seconds_bucket",
        "orchestrator_serving_time_to_first_token_seconds_bucket",
        "orchestrator_serving_generated_tokens_total",
        "orchestrator_serving_request_tokens_per_second_bucket",
        "orchestrator_serving_forward_passes_total",
        "orchestrator_serving_decode_batch_size_bucket",
        "orchestrator_serving_queue_depth",
        "orchestrator_serving_running_sequences",
    ];

    [Fact]
    public async Task Metrics_count_requests_tokens_and_latency_in_prometheus_format()
    {
        var before = Scrape(await server.Http.GetStringAsync("/metrics"));
        await OpenAiHttp.CompleteAsync(server.Http, new { prompt = "ROMEO:", max_tokens = 9 });
        await OpenAiHttp.PostRawAsync(server.Http, """{"prompt":"hi","temperature":-1}""");
        var text = await server.Http.GetStringAsync("/metrics");
        var after = Scrape(text);

        foreach (var name in MetricNames)
            Assert.True(after.Keys.Any(k => k.StartsWith(name, StringComparison.Ordinal)), $"/metrics lacks {name}:\n{text}");
        Assert.Equal(9, Value(after, "orchestrator_serving_generated_tokens_total") - Value(before, "orchestrator_serving_generated_tokens_total"));
        Assert.Equal(1, Value(after, "orchestrator_serving_requests_total{", "outcome=\"ok\"", "protocol=\"http\"") - Value(before, "orchestrator_serving_requests_total{", "outcome=\"ok\"", "protocol=\"http\""));
        Assert.Equal(1, Value(after, "orchestrator_serving_requests_total{", "outcome=\"invalid\"") - Value(before, "orchestrator_serving_requests_total{", "outcome=\"invalid\""));
        Assert.True(Value(after, "orchestrator_serving_time_to_first_token_seconds_count") >= 1);
        Assert.Equal(0, Value(after, "orchestrator_serving_queue_depth"));
    }

    [ToolFact("promtool")]
    public async Task Metrics_pass_promtool_lint()
    {
        await OpenAiHttp.CompleteAsync(server.Http, new { prompt = "ROMEO:", max_tokens = 3 });
        var metrics = await server.Http.GetStringAsync("/metrics");
        var (exit, output) = await ExternalTools.RunAsync("promtool", ["check", "metrics"], stdin: metrics);
        Assert.True(exit == 0, $"promtool check metrics failed:\n{output}");
    }

    /// <summary>Series line → value (sum over series matching all of <paramref name="parts"/>).</summary>
    private static double Value(Dictionary<string, double> scrape, params string[] parts) =>
        scrape.Where(kv => kv.Key.StartsWith(parts[0], StringComparison.Ordinal) && parts.Skip(1).All(p => kv.Key.Contains(p, StringComparison.Ordinal))).Sum(kv => kv.Value);

    private static Dictionary<string, double> Scrape(string text) => text.Split('\n')
        .Where(line => line.Length > 0 && !line.StartsWith('#'))
        .Select(line =>
        {
            var parts = line.Split(' ');
            // series value [timestamp]
            var valueIndex = parts.Length >= 3 && long.TryParse(parts[^1], out _) && parts[^2].Length > 0 ? parts.Length - 2 : parts.Length - 1;
            return (Series: string.Join(' ', parts[..valueIndex]), Value: double.Parse(parts[valueIndex], System.Globalization.CultureInfo.InvariantCulture));
        })
        .GroupBy(p => p.Series)
        .ToDictionary(g => g.Key, g => g.Last().Value);
}
