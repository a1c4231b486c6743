using Orchestrator.Telemetry.Tests.TestSupport;
using static Orchestrator.Telemetry.Tests.TestSupport.ChartRender;

namespace Orchestrator.Telemetry.Tests;

/// <summary>
/// tests/chart-render itself: a manifest that Kubernetes would refuse fails the render, naming the template, the
/// object and the field, so the chart tests cannot pass on a chart a cluster would reject.
/// </summary>
public sealed class ChartRenderTests
{
    [Fact]
    public async Task A_misspelled_field_in_a_template_fails_naming_the_template_the_object_and_the_field()
    {
        using var copy = new TempDirectory();
        var chart = CopyChart(copy.Path);
        var template = Path.Combine(chart, "templates", "coordinator.yaml");
        var text = File.ReadAllText(template);
        Assert.Contains("readinessProbe:", text);
        File.WriteAllText(template, text.Replace("readinessProbe:", "readinesProbe:", StringComparison.Ordinal));

        var result = await RunAsync(chart, []);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"orchestrator/templates/coordinator.yaml: Deployment \"{Fullname}-coordinator\": unknown field \"spec.template.spec.containers[0].readinesProbe\"", result.Stderr);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public async Task A_value_of_the_wrong_type_fails_naming_the_object_and_the_field()
    {
        var result = await RunAsync(Chart, ["--set", "coordinator.terminationGracePeriodSeconds=soon"]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"Deployment \"{Fullname}-coordinator\"", result.Stderr);
        Assert.Contains("terminationGracePeriodSeconds", result.Stderr);
    }

    [Fact]
    public async Task A_selector_that_misses_its_pod_template_is_refused_as_the_api_server_would()
    {
        using var copy = new TempDirectory();
        var chart = CopyChart(copy.Path);
        var template = Path.Combine(chart, "templates", "workers.yaml");
        var text = File.ReadAllText(template);
        const string Selector = "matchLabels:\n      {{- include \"orchestrator.selectorLabels\" (list . \"worker\") | nindent 6 }}";
        Assert.Contains(Selector, text);
        File.WriteAllText(template, text.Replace(Selector, Selector.Replace("\"worker\"", "\"workers\"", StringComparison.Ordinal), StringComparison.Ordinal));

        var result = await RunAsync(chart, []);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"StatefulSet \"{Fullname}-worker\": spec.selector", result.Stderr);
        Assert.Contains("does not match template `labels`", result.Stderr);
    }

    [Fact]
    public async Task The_default_render_prints_every_manifest_and_no_partial_or_notes()
    {
        var result = await RunAsync(Chart, []);

        Assert.True(result.ExitCode == 0, result.Describe());
        var sources = ChartRender.Parse(result.Stdout).Select(m => m.Source).ToHashSet();
        Assert.DoesNotContain(sources, s => s.Contains("/_", StringComparison.Ordinal) || s.EndsWith("NOTES.txt", StringComparison.Ordinal));
        Assert.Contains("orchestrator/templates/tests/submit-job.yaml", sources);
        Assert.Contains("decoded strictly", result.Stderr);
    }

    /// <summary>The chart copied into <paramref name="directory"/>, links (the dashboard) resolved.</summary>
    private static string CopyChart(string directory)
    {
        var target = Path.Combine(directory, "orchestrator");
        foreach (var file in Directory.GetFiles(Chart, "*", SearchOption.AllDirectories))
        {
            var destination = Path.Combine(target, Path.GetRelativePath(Chart, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }
        return target;
    }
}
