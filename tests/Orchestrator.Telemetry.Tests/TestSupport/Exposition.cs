using System.Globalization;

namespace Orchestrator.Telemetry.Tests.TestSupport;

/// <summary>Prometheus text exposition read into <c>name{labels}</c> → value, with OpenTelemetry's scope labels removed and
/// labels in name order (so a test may write them in any order).</summary>
internal sealed class Exposition
{
    private readonly Dictionary<string, double> _values;

    private Exposition(Dictionary<string, double> values) => _values = values;

    public IEnumerable<string> Names => _values.Keys.Select(k => k.Split('{')[0]).Distinct();

    public static Exposition Parse(string text)
    {
        var values = new Dictionary<string, double>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var split = line.LastIndexOf('}') is var close and > 0 ? close + 1 : line.IndexOf(' ');
            var key = line[..split].Trim();
            var rest = line[split..].Trim().Split(' ');
            values[Normalise(key)] = double.Parse(rest[0], CultureInfo.InvariantCulture);
        }
        return new Exposition(values);
    }

    public double Value(string name, string labels)
    {
        var key = labels.Length == 0 ? name : Normalise($"{name}{{{labels}}}");
        return _values.TryGetValue(key, out var value)
            ? value
            : throw new Xunit.Sdk.XunitException($"no series {key}; series named {name}: {string.Join(", ", _values.Keys.Where(k => k.StartsWith(name, StringComparison.Ordinal)))}");
    }

    private static string Normalise(string key)
    {
        var open = key.IndexOf('{');
        if (open < 0) return key;
        var labels = key[(open + 1)..^1].Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => !l.StartsWith("otel_scope_", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        return labels.Count == 0 ? key[..open] : $"{key[..open]}{{{string.Join(',', labels)}}}";
    }
}
