using System.Text.Json;
using System.Text.RegularExpressions;
using Orchestrator.Telemetry.Tests.TestSupport;

namespace Orchestrator.Telemetry.Tests;

/// <summary>
/// Each Grafana panel measures what its unit says: the quantity of every query follows from the unit suffix of the
/// metrics it reads (Prometheus naming: <c>_seconds</c>, <c>_bytes</c>, <c>_ratio</c>, <c>_total</c>) and what is done
/// to them (<c>rate</c> makes a per-second quantity, a <c>_sum/_count</c> quotient or a quantile keeps the base unit).
/// </summary>
public sealed partial class GrafanaPanelUnitTests
{
    private static string DashboardPath => RepositoryPaths.PathOf("deploy", "grafana", "dashboards", "orchestrator.json");

    /// <summary>What a query's values are; one panel shows one of these in one unit.</summary>
    public enum Quantity { Seconds, Bytes, BytesPerSecond, Ratio, CountPerSecond, Count, Dimensionless }

    private static readonly Dictionary<Quantity, Func<string, bool>> UnitFits = new()
    {
        [Quantity.Seconds] = u => u is "s" or "ms",
        [Quantity.Bytes] = u => u is "bytes" or "decbytes",
        [Quantity.BytesPerSecond] = u => u is "Bps" or "binBps",
        [Quantity.Ratio] = u => u is "percentunit",
        [Quantity.CountPerSecond] = u => u is "ops" or "reqps" or "rps" or "cps" || (u.StartsWith("suffix:", StringComparison.Ordinal) && u.EndsWith("/s", StringComparison.Ordinal)),
        [Quantity.Count] = u => u is "none" or "short",
        [Quantity.Dimensionless] = u => u is "none" or "short",
    };

    [Fact]
    public void Every_panel_unit_matches_the_unit_suffix_of_the_metrics_its_queries_read()
    {
        var problems = new List<string>();
        foreach (var panel in Panels())
        {
            var title = panel.GetProperty("title").GetString();
            var unit = panel.GetProperty("fieldConfig").GetProperty("defaults").GetProperty("unit").GetString()!;
            var overrides = panel.GetProperty("fieldConfig").GetProperty("overrides").GetArrayLength();
            if (overrides > 0) problems.Add($"{title}: per-series unit overrides are not checked here; split the panel");
            var quantities = panel.GetProperty("targets").EnumerateArray().Select(t => QuantityOf(t.GetProperty("expr").GetString()!)).Distinct().ToList();
            if (quantities.Count != 1) problems.Add($"{title}: queries of different quantities in one panel ({string.Join(", ", quantities)})");
            else if (!UnitFits[quantities[0]](unit)) problems.Add($"{title}: unit '{unit}' does not fit {quantities[0]}");
        }
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Theory]
    [InlineData("orchestrator_job_checkpoint_age_seconds{job_id=~\"$job_id\"}", Quantity.Seconds)]
    [InlineData("orchestrator_checkpoint_size_bytes", Quantity.Bytes)]
    [InlineData("orchestrator_allreduce_hidden_ratio", Quantity.Ratio)]
    [InlineData("rate(orchestrator_allreduce_payload_bytes_total[1m])", Quantity.BytesPerSecond)]
    [InlineData("orchestrator_allreduce_bus_bandwidth_bytes_per_second", Quantity.BytesPerSecond)]
    [InlineData("sum by (job_id) (rate(orchestrator_training_tokens_total[1m]))", Quantity.CountPerSecond)]
    [InlineData("orchestrator_job_recoveries_total", Quantity.Count)]
    [InlineData("increase(orchestrator_training_skipped_steps_total[1h])", Quantity.Count)]
    [InlineData("rate(orchestrator_allreduce_duration_seconds_sum[1m]) / rate(orchestrator_allreduce_duration_seconds_count[1m])", Quantity.Seconds)]
    [InlineData("histogram_quantile(0.9, sum by (le, job_id) (rate(orchestrator_training_step_duration_seconds_bucket[1m])))", Quantity.Seconds)]
    [InlineData("avg by (job_id) (orchestrator_training_loss)", Quantity.Dimensionless)]
    public void A_query_quantity_follows_from_its_metric_suffixes_and_functions(string expr, Quantity expected)
    {
        Assert.Equal(expected, QuantityOf(expr));
    }

    [Fact]
    public void A_query_mixing_seconds_and_a_ratio_is_refused()
    {
        Assert.Throws<Xunit.Sdk.XunitException>(() => QuantityOf("orchestrator_allreduce_duration_seconds_sum + orchestrator_allreduce_hidden_ratio"));
    }

    [Fact]
    public void Recoveries_count_recoveries_percentiles_are_per_job_and_a_panel_shows_ranks_side_by_side()
    {
        var panels = Panels().ToDictionary(p => p.GetProperty("title").GetString()!, p => p);
        var recoveries = Expressions(panels["Recoveries"]);
        Assert.All(recoveries, e => Assert.Equal(["orchestrator_job_recoveries_total"], MetricName().Matches(e).Select(m => m.Value).Distinct()));

        var quantiles = panels.Values.SelectMany(Expressions).Where(e => e.Contains("histogram_quantile", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(quantiles);
        Assert.All(quantiles, e => Assert.Matches(@"histogram_quantile\([0-9.]+, sum by \(le, job_id\)", e));

        var perRank = panels.Values.Single(p => p.GetProperty("title").GetString()!.Contains("by rank", StringComparison.Ordinal));
        var expressions = Expressions(perRank).ToList();
        Assert.Contains(expressions, e => e.Contains("phase=\"allreduce_wait\"", StringComparison.Ordinal));
        Assert.Contains(expressions, e => e.Contains("phase=\"forward_backward\"", StringComparison.Ordinal));
        Assert.All(expressions, e => Assert.Contains("by (job_id, rank)", e));
        Assert.All(perRank.GetProperty("targets").EnumerateArray(), t => Assert.Contains("{{rank}}", t.GetProperty("legendFormat").GetString()));
    }

    [Fact]
    public async Task Every_query_parses_as_promql()
    {
        using var dir = new TempDirectory();
        var rules = Panels().SelectMany(Expressions).Select((e, i) =>
            $"      - record: dashboard_query_{i}\n        expr: {JsonSerializer.Serialize(e.Replace("$__rate_interval", "1m", StringComparison.Ordinal).Replace("$__range", "1h", StringComparison.Ordinal).Replace("$job_id", ".*", StringComparison.Ordinal))}");
        File.WriteAllText(dir.Sub("rules.yml"), "groups:\n  - name: dashboard\n    rules:\n" + string.Join('\n', rules) + "\n");
        var result = await Tool.RunAsync("promtool", ["check", "rules", dir.Sub("rules.yml")]);
        Assert.True(result.ExitCode == 0, result.Describe());
    }

    /// <summary>
    /// The quantity of a PromQL expression: histogram quantiles and <c>_sum/_count</c> quotients keep their metric's
    /// unit, <c>rate</c> of a counter is per second, anything else is the unit its name ends in. Mixed units fail.
    /// </summary>
    private static Quantity QuantityOf(string expr)
    {
        var names = MetricName().Matches(expr).Select(m => m.Value).Distinct().ToList();
        Assert.True(names.Count > 0, $"'{expr}' reads no orchestrator metric");
        var quantities = names.Select(name =>
        {
            var histogram = HistogramPart().Match(name);
            if (histogram.Success)
            {
                var base_ = histogram.Groups["base"].Value;
                var part = histogram.Groups["part"].Value;
                var quotient = expr.Contains(base_ + "_sum", StringComparison.Ordinal) && expr.Contains(base_ + "_count", StringComparison.Ordinal);
                if (part == "bucket" && expr.Contains("histogram_quantile", StringComparison.Ordinal) || quotient) return BaseQuantity(base_);
                if (part == "count") return InRate(expr, name) ? Quantity.CountPerSecond : Quantity.Count;
                return InRate(expr, name) ? PerSecond(BaseQuantity(base_)) : BaseQuantity(base_);
            }
            if (name.EndsWith("_total", StringComparison.Ordinal))
            {
                var counted = name.EndsWith("_bytes_total", StringComparison.Ordinal) ? Quantity.Bytes : Quantity.Count;
                return InRate(expr, name) ? PerSecond(counted) : counted;
            }
            return BaseQuantity(name);
        }).Distinct().ToList();
        if (quantities.Count != 1) throw new Xunit.Sdk.XunitException($"'{expr}' mixes {string.Join(" and ", quantities)}");
        return quantities[0];
    }

    private static Quantity BaseQuantity(string name) =>
        name.EndsWith("_bytes_per_second", StringComparison.Ordinal) ? Quantity.BytesPerSecond
        : name.EndsWith("_per_second", StringComparison.Ordinal) ? Quantity.CountPerSecond
        : name.EndsWith("_seconds", StringComparison.Ordinal) ? Quantity.Seconds
        : name.EndsWith("_bytes", StringComparison.Ordinal) ? Quantity.Bytes
        : name.EndsWith("_ratio", StringComparison.Ordinal) ? Quantity.Ratio
        : Quantity.Dimensionless;

    private static Quantity PerSecond(Quantity quantity) => quantity switch
    {
        Quantity.Bytes => Quantity.BytesPerSecond,
        Quantity.Count => Quantity.CountPerSecond,
        _ => throw new Xunit.Sdk.XunitException($"rate() of a {quantity} quantity has no unit this dashboard uses"),
    };

    private static bool InRate(string expr, string name) => Regex.IsMatch(expr, @"\b(?:i?rate)\(\s*" + Regex.Escape(name) + @"\b");

    private static IEnumerable<JsonElement> Panels()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(DashboardPath));
        return dashboard.RootElement.GetProperty("panels").EnumerateArray().Select(p => p.Clone()).ToList();
    }

    private static IEnumerable<string> Expressions(JsonElement panel) =>
        panel.GetProperty("targets").EnumerateArray().Select(t => t.GetProperty("expr").GetString()!);

    [GeneratedRegex(@"\borchestrator_[a-z0-9_]+")]
    private static partial Regex MetricName();

    [GeneratedRegex(@"^(?<base>.+)_(?<part>sum|count|bucket)$")]
    private static partial Regex HistogramPart();
}
