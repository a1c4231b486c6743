using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Orchestrator.Serving;

namespace ServingBench;

/// <summary>One streaming client's view of its request.</summary>
internal sealed record ClientRun(double TimeToFirstToken, double Seconds, int Tokens);

/// <summary>A round of concurrent clients: their runs and the aggregate throughput over the round's wall time.</summary>
internal sealed record LoadRound(int Clients, IReadOnlyList<ClientRun> Runs, double WallSeconds, long Forwards)
{
    /// <summary>Tokens generated per model forward in the round: 1 without batching, up to the client count with it.</summary>
    public double TokensPerForward => Runs.Sum(r => r.Tokens) / (double)Forwards;

    public double AggregateTokensPerSecond => Runs.Sum(r => r.Tokens) / WallSeconds;
    public double MedianTimeToFirstToken => Runs.Select(r => r.TimeToFirstToken).Order().ElementAt(Runs.Count / 2);
    public double MaxTimeToFirstToken => Runs.Max(r => r.TimeToFirstToken);
}

/// <summary>
/// Streaming clients against a real server on loopback (Kestrel, HTTP/1.1, SSE), each asking for the same number of
/// sampled tokens after a short prompt, all started at once. Time to first token is measured at the client: from
/// sending the request to receiving the first event that carries text.
/// </summary>
internal static class LoadBench
{
    public static async Task<LoadRound> RunAsync(ServingHost host, HttpClient http, int clients, int maxTokens, int seed)
    {
        var before = host.Statistics;
        var started = Stopwatch.GetTimestamp();
        var runs = await Task.WhenAll(Enumerable.Range(0, clients).Select(i => StreamAsync(http, maxTokens, seed * 100 + i)));
        var wall = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var after = host.Statistics;
        return new LoadRound(clients, runs, wall, after.Forwards - before.Forwards);
    }

    private static async Task<ClientRun> StreamAsync(HttpClient http, int maxTokens, int seed)
    {
        var started = Stopwatch.GetTimestamp();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = JsonContent.Create(new
            {
                prompt = "ROMEO:", max_tokens = maxTokens, temperature = 0.8, seed, stream = true, stream_options = new { include_usage = true },
            }),
        };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        double? firstToken = null;
        var tokens = 0;
        while (await reader.ReadLineAsync() is { } line)
        {
            if (!line.StartsWith("data: ", StringComparison.Ordinal) || line == "data: [DONE]") continue;
            var chunk = JsonNode.Parse(line["data: ".Length..])!;
            if (chunk["usage"] is { } usage) tokens = usage["completion_tokens"]!.GetValue<int>();
            else firstToken ??= Stopwatch.GetElapsedTime(started).TotalSeconds;
        }
        return new ClientRun(firstToken ?? double.NaN, Stopwatch.GetElapsedTime(started).TotalSeconds, tokens);
    }
}
