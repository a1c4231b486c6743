using YamlDotNet.RepresentationModel;

namespace Orchestrator.Telemetry.Tests.TestSupport;

/// <summary>YAML documents as YamlDotNet nodes, with path helpers that fail naming the missing key.</summary>
internal static class Yaml
{
    public static IReadOnlyList<YamlNode> LoadAll(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return stream.Documents.Select(d => d.RootNode).ToList();
    }

    public static YamlNode Load(string text) => LoadAll(text).Single();

    public static YamlNode At(this YamlNode node, params string[] path)
    {
        foreach (var key in path)
        {
            Assert.True(node is YamlMappingNode, $"expected a mapping above '{key}', got {node.NodeType}");
            var mapping = (YamlMappingNode)node;
            Assert.True(mapping.Children.TryGetValue(new YamlScalarNode(key), out var child), $"no key '{key}' in {{{string.Join(", ", mapping.Children.Keys)}}}");
            node = child!;
        }
        return node;
    }

    public static YamlNode? Find(this YamlNode node, string key) =>
        node is YamlMappingNode mapping && mapping.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child : null;

    public static string Text(this YamlNode node) => ((YamlScalarNode)node).Value ?? "";

    public static IEnumerable<string> Strings(this YamlNode node) => ((YamlSequenceNode)node).Children.Select(c => c.Text());

    public static IEnumerable<string> Keys(this YamlNode node) => ((YamlMappingNode)node).Children.Keys.Select(k => k.Text());
}
