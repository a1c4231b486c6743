using System.Globalization;
using System.Text.Json;

namespace Orchestrator.Telemetry.Tests.TestSupport;

/// <summary>A real Prometheus (Debian's <c>prometheus</c>) scraping the given targets every second, with a query helper.</summary>
internal sealed class PrometheusServer : IDisposable
{
    private readonly ChildProcess _process;
    private readonly HttpClient _http = new();

    public PrometheusServer(string directory, int port, IEnumerable<string> targets)
    {
        Assert.True(Tool.Exists("prometheus"), "prometheus is not installed: run scripts/setup.sh --tools (Debian package prometheus)");
        var config = Path.Combine(directory, "prometheus.yml");
        File.WriteAllText(config, $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
            scrape_configs:
              - job_name: orchestrator
                static_configs:
                  - targets: [{string.Join(", ", targets.Select(t => $"'{t}'"))}]
            """);
        Address = new Uri($"http://127.0.0.1:{port}");
        _process = ChildProcess.Start("prometheus", "prometheus",
        [
            $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(directory, "tsdb")}",
            $"--web.listen-address=127.0.0.1:{port}", "--log.level=warn",
        ]);
    }

    public Uri Address { get; }

    public string Output => _process.Describe();

    /// <summary>Instant query: each result series' labels and value.</summary>
    public async Task<IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)>> QueryAsync(string promql)
    {
        using var response = await _http.GetAsync(new Uri(Address, $"/api/v1/query?query={Uri.EscapeDataString(promql)}"));
        var body = await response.Content.ReadAsStringAsync();
        // 503 while its storage starts (slowly on a busy machine): not ready yet, so WaitForAsync tries again.
        if (response.StatusCode == System.Net.HttpStatusCode.ServiceUnavailable) throw new HttpRequestException($"Prometheus is not ready: {body}");
        Assert.True(response.IsSuccessStatusCode, $"Prometheus refused '{promql}': {body}");
        using var json = JsonDocument.Parse(body);
        return json.RootElement.GetProperty("data").GetProperty("result").EnumerateArray().Select(series => (
            (IReadOnlyDictionary<string, string>)series.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? ""),
            double.Parse(series.GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture))).ToList();
    }

    /// <summary>Queries until <paramref name="done"/> holds or the time is up; returns the last result.</summary>
    public async Task<IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)>> WaitForAsync(
        string promql, Func<IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)>, bool> done, TimeSpan timeout, Func<string> context)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            IReadOnlyList<(IReadOnlyDictionary<string, string>, double)> result = [];
            try
            {
                result = await QueryAsync(promql);
                if (done(result)) return result;
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
            }
            if (DateTime.UtcNow > deadline)
                throw new Xunit.Sdk.XunitException($"'{promql}' never met its condition in {timeout}; last result: " +
                    $"{string.Join("; ", result.Select(r => $"{string.Join(',', r.Item1.Select(l => $"{l.Key}={l.Value}"))} {r.Item2}"))}\n{context()}");
            await Task.Delay(500);
        }
    }

    public void Dispose()
    {
        _process.Dispose();
        _http.Dispose();
    }
}
