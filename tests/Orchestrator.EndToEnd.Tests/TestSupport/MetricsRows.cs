using System.Text.Json;

namespace Orchestrator.EndToEnd.Tests.TestSupport;

/// <summary>A parsed line of a run's <c>metrics.jsonl</c>, kept as JSON so tests can ask for any field.</summary>
public sealed record MetricsRow(string Kind, long Step, JsonElement Json)
{
    public double Number(string field) => Json.GetProperty(field).GetDouble();

    public static IReadOnlyList<MetricsRow> Read(string runDirectory)
    {
        var path = Path.Combine(runDirectory, "metrics.jsonl");
        Assert.True(File.Exists(path), $"'{path}' was not written");
        return File.ReadAllLines(path).Where(l => l.Length > 0).Select(line =>
        {
            var json = JsonDocument.Parse(line).RootElement.Clone();
            return new MetricsRow(json.GetProperty("kind").GetString()!, json.GetProperty("step").GetInt64(), json);
        }).ToArray();
    }
}
