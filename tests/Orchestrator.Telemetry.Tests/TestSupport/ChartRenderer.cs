using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;
using YamlDotNet.Serialization;

namespace Orchestrator.Telemetry.Tests.TestSupport;

/// <summary>
/// Renders the chart's templates without Helm (not installable here), for the subset of Go template they use:
/// <c>.Values.*</c>, <c>.Release.Name/Namespace</c>, <c>| quote</c>, <c>toYaml X | nindent N</c>, <c>X | nindent N</c>,
/// <c>if / else / end</c> and the <c>{{- -}}</c> whitespace trimming. Anything else fails the test, so a template
/// cannot quietly use a construct this check does not understand. Every value a template names must exist in values.yaml.
/// </summary>
internal sealed partial class ChartRenderer(string chartDirectory, IReadOnlyDictionary<string, string>? overrides = null)
{
    public const string ReleaseName = "rel";
    public const string Namespace = "ml";

    private readonly YamlNode _values = Yaml.Load(File.ReadAllText(Path.Combine(chartDirectory, "values.yaml")));
    private readonly IReadOnlyDictionary<string, string> _overrides = overrides ?? new Dictionary<string, string>();

    public HashSet<string> UsedValues { get; } = [];

    /// <summary>Every template rendered and split into its YAML documents (empty ones dropped).</summary>
    public IReadOnlyList<(string Template, YamlNode Document)> RenderAll()
    {
        var documents = new List<(string, YamlNode)>();
        foreach (var path in Directory.GetFiles(Path.Combine(chartDirectory, "templates"), "*.yaml").Order())
        {
            var text = Render(File.ReadAllText(path));
            foreach (var part in Regex.Split(text, @"^---\s*$", RegexOptions.Multiline))
            {
                if (part.Split('\n').All(l => l.Trim().Length == 0 || l.TrimStart().StartsWith('#'))) continue;
                try
                {
                    documents.Add((Path.GetFileName(path), Yaml.Load(part)));
                }
                catch (YamlDotNet.Core.YamlException e)
                {
                    throw new Xunit.Sdk.XunitException($"{Path.GetFileName(path)} renders invalid YAML ({e.Message}):\n{part}");
                }
            }
        }
        return documents;
    }

    public string Render(string template)
    {
        var output = new StringBuilder();
        var emitting = new Stack<(bool Parent, bool Condition, bool InElse)>();
        bool Emitting() => emitting.All(e => e.Parent && (e.InElse ? !e.Condition : e.Condition));
        var position = 0;
        var trimNext = false;
        foreach (Match action in Action().Matches(template))
        {
            var text = template[position..action.Index];
            if (trimNext) text = text.TrimStart();
            if (action.Groups[1].Value == "-") text = text.TrimEnd();
            if (Emitting()) output.Append(text);
            position = action.Index + action.Length;
            trimNext = action.Groups[3].Value == "-";

            var body = action.Groups[2].Value.Trim();
            if (body.StartsWith("if ", StringComparison.Ordinal))
                emitting.Push((Emitting(), Truthy(Resolve(body[3..].Trim())), false));
            else if (body == "else")
            {
                var top = emitting.Pop();
                emitting.Push(top with { InElse = true });
            }
            else if (body == "end") emitting.Pop();
            else if (Emitting()) output.Append(Evaluate(body));
        }
        var rest = template[position..];
        output.Append(trimNext ? rest.TrimStart() : rest);
        Assert.True(emitting.Count == 0, "a template has an 'if' without 'end'");
        return output.ToString();
    }

    private string Evaluate(string pipeline)
    {
        var stages = pipeline.Split('|').Select(s => s.Trim()).ToList();
        string value;
        if (stages[0].StartsWith("toYaml ", StringComparison.Ordinal))
            value = ToYaml(Resolve(stages[0][7..].Trim()));
        else
            value = Scalar(Resolve(stages[0]));
        foreach (var stage in stages.Skip(1))
        {
            if (stage == "quote") value = $"\"{value.Replace("\"", "\\\"")}\"";
            else if (stage.StartsWith("nindent ", StringComparison.Ordinal))
            {
                var indent = new string(' ', int.Parse(stage[8..]));
                value = "\n" + string.Join('\n', value.TrimEnd('\n').Split('\n').Select(l => indent + l));
            }
            else throw new Xunit.Sdk.XunitException($"the chart renderer does not know the template function '{stage}' in '{pipeline}'");
        }
        return value;
    }

    private object Resolve(string expression)
    {
        switch (expression)
        {
            case ".Release.Name": return ReleaseName;
            case ".Release.Namespace": return Namespace;
        }
        Assert.True(expression.StartsWith(".Values.", StringComparison.Ordinal), $"the chart renderer does not know '{expression}'");
        var path = expression[8..];
        UsedValues.Add(path);
        if (_overrides.TryGetValue(path, out var overridden)) return overridden;
        YamlNode node = _values;
        foreach (var key in path.Split('.'))
        {
            var child = node.Find(key);
            Assert.True(child is not null, $"a template uses .Values.{path}, which values.yaml does not define");
            node = child!;
        }
        return node;
    }

    private static bool Truthy(object value) => value switch
    {
        string s => s.Length > 0 && s != "false" && s != "0",
        YamlScalarNode scalar => Truthy(scalar.Value ?? ""),
        YamlMappingNode mapping => mapping.Children.Count > 0,
        YamlSequenceNode sequence => sequence.Children.Count > 0,
        _ => false,
    };

    private static string Scalar(object value) => value switch
    {
        string s => s,
        YamlScalarNode scalar => scalar.Value ?? "",
        _ => throw new Xunit.Sdk.XunitException($"a template prints a {value.GetType().Name} without toYaml"),
    };

    private static string ToYaml(object value)
    {
        var plain = Plain(value);
        if (plain is Dictionary<string, object?> { Count: 0 }) return "{}";
        if (plain is List<object?> { Count: 0 }) return "[]";
        return new SerializerBuilder().Build().Serialize(plain).TrimEnd('\n');
    }

    private static object? Plain(object value) => value switch
    {
        string s => s,
        YamlScalarNode scalar => scalar.Value,
        YamlMappingNode mapping => mapping.Children.ToDictionary(c => c.Key.Text(), c => Plain(c.Value)),
        YamlSequenceNode sequence => sequence.Children.Select(Plain).ToList(),
        _ => throw new ArgumentException($"cannot render {value.GetType().Name}"),
    };

    [GeneratedRegex(@"\{\{(-?)(.*?)(-?)\}\}", RegexOptions.Singleline)]
    private static partial Regex Action();
}
