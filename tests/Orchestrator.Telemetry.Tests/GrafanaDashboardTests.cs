using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Orchestrator.Telemetry.Tests.TestSupport;

namespace Orchestrator.Telemetry.Tests;

public sealed partial class GrafanaDashboardTests
{
    private static string DashboardPath => RepositoryPaths.PathOf("deploy", "grafana", "dashboards", "orchestrator.json");

    [Fact]
    public async Task Every_panel_query_names_a_metric_the_processes_export()
    {
        var exported = await ExportedNamesAsync();
        using var dashboard = JsonDocument.Parse(File.ReadAllText(DashboardPath));
        var missing = new List<string>();
        var queries = 0;
        foreach (var panel in dashboard.RootElement.GetProperty("panels").EnumerateArray())
        foreach (var target in panel.GetProperty("targets").EnumerateArray())
        {
            var expr = target.GetProperty("expr").GetString()!;
            queries++;
            var names = MetricName().Matches(expr).Select(m => m.Value).ToList();
            Assert.True(names.Count > 0, $"panel '{panel.GetProperty("title")}' query '{expr}' names no orchestrator metric");
            missing.AddRange(names.Where(n => !exported.Contains(n)).Select(n => $"{panel.GetProperty("title")}: {n}"));
        }
        Assert.True(queries >= 16, $"only {queries} queries in the dashboard");
        Assert.True(missing.Count == 0, "queries name metrics nothing exports:\n" + string.Join('\n', missing) +
            "\nexported: " + string.Join(", ", exported.Order()));
    }

    [Fact]
    public void Dashboard_has_the_operations_panels_and_uses_the_provisioned_datasource()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(DashboardPath));
        var titles = dashboard.RootElement.GetProperty("panels").EnumerateArray().Select(p => p.GetProperty("title").GetString()!).ToList();
        foreach (var topic in new[] { "Tokens per second", "Step time", "Loss", "Learning rate", "Gradient norm", "bandwidth", "FLOPs utilisation", "Workers alive", "Checkpoint age", "Recoveries" })
            Assert.Contains(titles, t => t.Contains(topic, StringComparison.OrdinalIgnoreCase));

        var datasource = File.ReadAllText(RepositoryPaths.PathOf("deploy", "grafana", "provisioning", "datasources", "prometheus.yml"));
        var uid = Regex.Match(datasource, @"uid:\s*(\S+)").Groups[1].Value;
        Assert.Equal("prometheus", uid);
        var uids = dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray().Select(t => t.GetProperty("datasource").GetProperty("uid").GetString()));
        Assert.All(uids, u => Assert.Equal(uid, u));
        var provider = File.ReadAllText(RepositoryPaths.PathOf("deploy", "grafana", "provisioning", "dashboards", "orchestrator.yml"));
        Assert.Contains("path: /var/lib/grafana/dashboards", provider);
    }

    /// <summary>
    /// Names on a real <c>/metrics</c> after every instrument has a value: the worker's training series, the
    /// coordinator's cluster series and process memory (histograms as their _bucket/_sum/_count series).
    /// </summary>
    private static async Task<HashSet<string>> ExportedNamesAsync()
    {
        await using var server = await MetricsServer.StartAsync("worker", 0, IPAddress.Loopback, new TelemetryOptions { PeakFlops = 1e12 });
        var who = new TrainingIdentity("job", 0, "w");
        server.Training.RecordInterval(who, new TrainingInterval
        {
            Step = 10, Steps = 10, Tokens = 100, Samples = 10, SecondsPerStep = 0.1, ValidationLoss = 1, FlopsPerToken = 1e6, Loss = 1,
            PhaseSecondsPerStep = new Dictionary<string, double> { ["forward_backward"] = 0.05 },
        });
        server.Training.RecordAllReduce(who, 1000, TimeSpan.FromMilliseconds(1), 2);
        server.Training.RecordHiddenFraction(who, 0.5);
        server.Training.RecordSendWait(who, 0.01);
        server.Training.RecordCheckpoint(who, TimeSpan.FromSeconds(1), 10, DateTimeOffset.UtcNow);
        var cluster = new ClusterMetrics(["Running", "Completed"]);
        cluster.Update(new ClusterSnapshot
        {
            WorkersAlive = 1, WorkersRegistered = 1,
            Jobs = [new JobSnapshot { JobId = "job", State = "Running", IsActive = true, WorkersExpected = 1, WorkersAlive = 1, LatestCheckpointUtc = DateTimeOffset.UtcNow }],
        });
        using var http = new HttpClient();
        return Exposition.Parse(await http.GetStringAsync(server.Endpoint)).Names.ToHashSet();
    }

    [GeneratedRegex(@"\borchestrator_[a-z0-9_]+")]
    private static partial Regex MetricName();
}
