using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Json.Schema;
using Orchestrator.Telemetry.Tests.TestSupport;
using YamlDotNet.Serialization;
using static Orchestrator.Telemetry.Tests.TestSupport.ChartRender;

namespace Orchestrator.Telemetry.Tests;

/// <summary>
/// values.schema.json (which Helm applies at install, upgrade, template and lint) accepts values.yaml and every
/// override the chart README documents, and refuses the mistakes it exists for.
/// </summary>
public sealed partial class HelmValuesSchemaTests
{
    private static readonly JsonSchema Schema = JsonSchema.FromText(File.ReadAllText(Path.Combine(Chart, "values.schema.json")));

    [Fact]
    public void Values_yaml_is_valid()
    {
        AssertValid(Defaults(), "values.yaml");
    }

    [Fact]
    public void Every_override_the_readme_documents_is_valid()
    {
        // What the shell would put in place of the README's token generator.
        var readme = File.ReadAllText(Path.Combine(Chart, "README.md")).Replace("$(openssl rand -hex 32)", new string('a', 64), StringComparison.Ordinal);
        var overrides = SetFlag().Matches(readme).Select(m => (m.Groups["kind"].Value, m.Groups["value"].Value.Trim('\''))).ToList();
        Assert.True(overrides.Count >= 5, $"only {overrides.Count} --set overrides found in the chart README");
        foreach (var (kind, value) in overrides)
        {
            var values = Defaults();
            Apply(values, kind, value);
            AssertValid(values, $"{kind} {value}");
        }
    }

    [Theory]
    [InlineData("workers.replica=3", "workers")]                     // misspelled key
    [InlineData("workers.device=tpu", "device")]
    [InlineData("coordinator.controlPort=70000", "controlPort")]
    [InlineData("redis.enabled=false", "existing")]                 // no Redis at all
    [InlineData("podDisruptionBudget.workers.maxUnavailable=0", "maxUnavailable")] // would block every drain
    [InlineData("security.clusterToken.value=short", "value")]
    [InlineData("job.job_id=not a job id", "job_id")]
    public void Mistakes_are_refused_naming_the_value(string set, string named)
    {
        var values = Defaults();
        Apply(values, "--set", set);
        var result = Schema.Evaluate(JsonSerializer.SerializeToElement(values), new EvaluationOptions { OutputFormat = OutputFormat.List });
        Assert.False(result.IsValid, $"{set} was accepted");
        Assert.Contains(Flatten(result), d => d.Errors is { Count: > 0 } && d.InstanceLocation.ToString().Contains(named, StringComparison.Ordinal));
    }

    [Fact]
    public void A_worker_without_a_cpu_limit_is_refused_because_its_threads_come_from_it()
    {
        var values = Defaults();
        values["workers"]!["resources"]!["limits"]!.AsObject().Remove("cpu");
        Assert.False(Schema.Evaluate(JsonSerializer.SerializeToElement(values)).IsValid);
    }

    private static void AssertValid(JsonNode values, string what)
    {
        var result = Schema.Evaluate(JsonSerializer.SerializeToElement(values), new EvaluationOptions { OutputFormat = OutputFormat.List });
        var errors = Flatten(result).Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"));
        Assert.True(result.IsValid, $"{what} does not match values.schema.json:\n" + string.Join('\n', errors));
    }

    private static IEnumerable<EvaluationResults> Flatten(EvaluationResults result) =>
        [result, .. (result.Details ?? []).SelectMany(Flatten)];

    /// <summary>values.yaml as JSON, typed as YAML types it (numbers, booleans, strings).</summary>
    private static JsonNode Defaults()
    {
        var yaml = new DeserializerBuilder().WithAttemptingUnquotedStringTypeDeserialization().Build()
            .Deserialize<object>(File.ReadAllText(Path.Combine(Chart, "values.yaml")));
        return JsonSerializer.SerializeToNode(yaml)!;
    }

    /// <summary>Applies a <c>--set</c> (Helm's typing: true/false, integers, else strings) or <c>--set-json</c> override.</summary>
    private static void Apply(JsonNode values, string kind, string text)
    {
        var pairs = kind == "--set-json" ? [text] : text.Split(',');
        foreach (var pair in pairs)
        {
            var (key, raw) = (pair[..pair.IndexOf('=')], pair[(pair.IndexOf('=') + 1)..]);
            JsonNode? value = kind == "--set-json" ? JsonNode.Parse(raw)
                : raw is "true" or "false" ? JsonValue.Create(raw == "true")
                : long.TryParse(raw, out var n) && !(raw.StartsWith('0') && raw != "0") ? JsonValue.Create(n)
                : JsonValue.Create(raw);
            var path = key.Split('.');
            var node = values;
            foreach (var part in path[..^1]) node = node[part] ??= new JsonObject();
            node[path[^1]] = value;
        }
    }

    [GeneratedRegex(@"(?<kind>--set(?:-json)?)[ =](?<value>'[^']+'|[A-Za-z]\w*\.[\w.]*=[^\s`\]]+)")]
    private static partial Regex SetFlag();
}
