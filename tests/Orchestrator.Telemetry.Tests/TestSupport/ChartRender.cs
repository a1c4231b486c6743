using YamlDotNet.RepresentationModel;

namespace Orchestrator.Telemetry.Tests.TestSupport;

/// <summary>One manifest of a render: the template it came from (<c># Source:</c>) and its YAML.</summary>
internal sealed record RenderedManifest(string Source, YamlNode Document)
{
    public string Kind => Document.At("kind").Text();

    public string Name => Document.At("metadata", "name").Text();
}

/// <summary>
/// Renders a chart with <c>tests/chart-render/render.sh</c>: Go's text/template with sprig and Helm's functions, every
/// manifest decoded strictly into its Kubernetes API type. Helm itself is not packaged by Debian; this is its engine.
/// </summary>
internal static class ChartRender
{
    public const string Release = "rel";

    /// <summary>The release's base name (the chart's <c>orchestrator.fullname</c> for release <see cref="Release"/>).</summary>
    public const string Fullname = "rel-orchestrator";

    public static string Chart => RepositoryPaths.PathOf("helm", "orchestrator");

    private static readonly SemaphoreSlim FirstBuild = new(1, 1);
    private static bool Built;

    /// <summary>Runs the renderer; the first call builds it (minutes on a busy machine), so calls wait for that one.</summary>
    public static async Task<Tool.Result> RunAsync(string chart, IEnumerable<string> arguments)
    {
        var script = RepositoryPaths.PathOf("tests", "chart-render", "render.sh");
        IReadOnlyList<string> all = [script, chart, "--name", Release, "--namespace", "ml", .. arguments];
        if (!Built)
        {
            await FirstBuild.WaitAsync();
            try
            {
                var first = await Tool.RunAsync("bash", all, workingDirectory: RepositoryPaths.Root, timeout: TimeSpan.FromMinutes(15));
                Built = true;
                return first;
            }
            finally
            {
                FirstBuild.Release();
            }
        }
        return await Tool.RunAsync("bash", all, workingDirectory: RepositoryPaths.Root, timeout: TimeSpan.FromMinutes(2));
    }

    /// <summary>The chart's manifests with <c>--set</c> overrides; fails the test when the renderer refuses them.</summary>
    public static async Task<IReadOnlyList<RenderedManifest>> RenderAsync(params string[] sets)
    {
        var result = await RunAsync(Chart, sets.SelectMany(s => new[] { "--set", s }));
        Assert.True(result.ExitCode == 0, result.Describe());
        return Parse(result.Stdout);
    }

    /// <summary>The rendered NOTES.txt.</summary>
    public static async Task<string> NotesAsync(params string[] sets)
    {
        var result = await RunAsync(Chart, [.. sets.SelectMany(s => new[] { "--set", s }), "--notes"]);
        Assert.True(result.ExitCode == 0, result.Describe());
        return result.Stdout;
    }

    /// <summary>Splits <c>helm template</c>-style output at its <c>---</c> lines, keeping each document's <c># Source:</c>.</summary>
    public static IReadOnlyList<RenderedManifest> Parse(string output)
    {
        var manifests = new List<RenderedManifest>();
        foreach (var chunk in ("\n" + output).Split("\n---\n", StringSplitOptions.RemoveEmptyEntries).Where(c => c.Trim().Length > 0))
        {
            var source = chunk.Split('\n').FirstOrDefault(l => l.StartsWith("# Source: ", StringComparison.Ordinal))?["# Source: ".Length..];
            Assert.True(source is not null, $"a rendered document without '# Source:':\n{chunk}");
            manifests.Add(new RenderedManifest(source, Yaml.Load(chunk)));
        }
        return manifests;
    }

    public static RenderedManifest Find(this IEnumerable<RenderedManifest> manifests, string kind, string name) =>
        manifests.SingleOrDefault(m => m.Kind == kind && m.Name == name)
        ?? throw new Xunit.Sdk.XunitException($"no {kind} {name} in the rendered chart: {string.Join(", ", manifests.Select(m => $"{m.Kind}/{m.Name}"))}");

    /// <summary>The pod spec of a workload or pod manifest.</summary>
    public static YamlNode PodSpec(this RenderedManifest manifest) =>
        manifest.Kind == "Pod" ? manifest.Document.At("spec") : manifest.Document.At("spec", "template", "spec");

    public static IEnumerable<YamlNode> Containers(this RenderedManifest manifest) =>
        ((YamlSequenceNode)manifest.PodSpec().At("containers")).Children;

    public static bool HasPods(this RenderedManifest manifest) => manifest.Kind is "Deployment" or "StatefulSet" or "Job" or "Pod";

    public static YamlNode Item(this YamlNode sequence, string name) =>
        ((YamlSequenceNode)sequence).Children.SingleOrDefault(c => c.Find("name")?.Text() == name)
        ?? throw new Xunit.Sdk.XunitException($"no item named '{name}' in [{string.Join(", ", ((YamlSequenceNode)sequence).Children.Select(c => c.Find("name")?.Text()))}]");
}
