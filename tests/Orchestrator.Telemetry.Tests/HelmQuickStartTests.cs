using System.Text.Json;
using System.Text.RegularExpressions;
using Orchestrator.Telemetry.Tests.TestSupport;
using Orchestrator.Training;
using YamlDotNet.RepresentationModel;
using static Orchestrator.Telemetry.Tests.TestSupport.ChartRender;

namespace Orchestrator.Telemetry.Tests;

/// <summary>
/// The chart README's quick start, object by object: the job file is mounted where `submit` reads it, the data it
/// names is prepared on the volume the workers and the submitting pod share, and `helm test` submits a job that can run.
/// </summary>
public sealed partial class HelmQuickStartTests
{
    private static string Readme => File.ReadAllText(Path.Combine(Chart, "README.md"));

    [Fact]
    public async Task The_readme_submit_command_reads_the_job_file_mounted_in_the_coordinator_next_to_its_data()
    {
        var docs = await RenderAsync();
        var submit = SubmitCommand().Match(Readme);
        Assert.True(submit.Success, "the chart README has no `kubectl exec deploy/...-coordinator -- dotnet /app/orchestrator.dll submit FILE` step");
        // The README's release is rendered here as `rel`: same objects, other prefix.
        Assert.Contains($"helm install {submit.Groups["release"].Value} helm/orchestrator", Readme);
        var coordinator = docs.Find("Deployment", $"{Fullname}-coordinator");
        var jobFile = submit.Groups["file"].Value;

        var container = coordinator.Containers().Single();
        var (configMap, key) = MountedConfigMapFile(coordinator, container, jobFile);
        using var job = JsonDocument.Parse(docs.Find("ConfigMap", configMap).Document.At("data", key).Text());
        Assert.Contains($"--coordinator localhost:{ControlPort(docs)}", submit.Value);

        // submit reads the vocabulary size from the data's meta.json, so the data must be visible where it runs.
        var data = job.RootElement.GetProperty("data").GetString()!;
        Assert.Equal($"{Fullname}-shared", ClaimMountedAbove(coordinator, container, data));
        Assert.Equal($"{Fullname}-shared", ClaimMountedAbove(docs.Find("StatefulSet", $"{Fullname}-worker"), docs.Find("StatefulSet", $"{Fullname}-worker").Containers().Single(), data));
        Assert.Equal($"{Fullname}-shared", ClaimMountedAbove(docs.Find("StatefulSet", $"{Fullname}-worker"), docs.Find("StatefulSet", $"{Fullname}-worker").Containers().Single(), job.RootElement.GetProperty("run_dir").GetString()!));
        AssertRunnable(job.RootElement, "job.json");
    }

    [Fact]
    public async Task A_hook_job_prepares_the_data_the_job_file_names_on_the_shared_volume()
    {
        var docs = await RenderAsync();
        using var job = JsonDocument.Parse(docs.Find("ConfigMap", $"{Fullname}-jobs").Document.At("data", "job.json").Text());
        var data = job.RootElement.GetProperty("data").GetString()!;

        var prepare = docs.Find("Job", $"{Fullname}-prepare");
        Assert.Equal("post-install,post-upgrade", prepare.Document.At("metadata", "annotations", "helm.sh/hook").Text());
        var container = prepare.Containers().Single();
        var args = container.At("args").Strings().ToList();
        // sh -c SCRIPT $0 $@: the script runs `prepare --out "$0" "$@"` unless $0 already holds a dataset.
        Assert.Contains("prepare --out \"$0\" \"$@\"", args[0]);
        Assert.Contains("[ -f \"$0/meta.json\" ]", args[0]);
        Assert.Equal(data, args[1]);
        Assert.Equal(["--dataset", "tinyshakespeare", "--tokenizer", "char"], args.Skip(2));
        Assert.Equal($"{Fullname}-shared", ClaimMountedAbove(prepare, container, data));
        Assert.Equal("Never", prepare.PodSpec().At("restartPolicy").Text());
    }

    [Fact]
    public async Task Helm_test_submits_a_tiny_runnable_job_to_the_control_api_and_waits_for_completed()
    {
        var docs = await RenderAsync();
        var test = docs.Find("Pod", $"{Fullname}-test-submit");
        Assert.Equal("test", test.Document.At("metadata", "annotations", "helm.sh/hook").Text());
        var container = test.Containers().Single();
        var args = container.At("args").Strings().ToList();
        var script = args[0];
        Assert.Equal($"{Fullname}-coordinator:{ControlPort(docs)}", args[1]);
        Assert.True(int.Parse(args[2]) > 0);
        Assert.Contains("cli submit /tmp/test-job.json --coordinator \"$0\"", script);
        Assert.Contains("Completed) exit 0", script);
        Assert.Contains("sed \"s/JOB_ID/$id/g\" /jobs/test-job.json", script);

        var (configMap, key) = MountedConfigMapFile(test, container, "/jobs/test-job.json");
        var text = docs.Find("ConfigMap", configMap).Document.At("data", key).Text().Replace("JOB_ID", "helm-test-1733400000", StringComparison.Ordinal);
        using var testJob = JsonDocument.Parse(text);
        using var mainJob = JsonDocument.Parse(docs.Find("ConfigMap", configMap).Document.At("data", "job.json").Text());
        Assert.Equal(mainJob.RootElement.GetProperty("data").GetString(), testJob.RootElement.GetProperty("data").GetString());
        Assert.Equal(1, testJob.RootElement.GetProperty("workers").GetInt32());
        Assert.True(testJob.RootElement.GetProperty("config").GetProperty("training").GetProperty("max_steps").GetInt32() <= 10);
        Assert.Equal($"{Fullname}-shared", ClaimMountedAbove(test, container, testJob.RootElement.GetProperty("data").GetString()!));
        AssertRunnable(testJob.RootElement, "test-job.json");
    }

    [Fact]
    public async Task The_notes_give_the_submit_command_the_test_and_grafana()
    {
        var notes = await NotesAsync();
        Assert.Contains($"exec deploy/{Fullname}-coordinator -- dotnet /app/orchestrator.dll submit /jobs/job.json --coordinator localhost:5050", notes);
        Assert.Contains($"helm test {Release} -n ml", notes);
        Assert.Contains($"logs job/{Fullname}-prepare", notes);
        Assert.Contains("http://localhost:3000", notes);
        Assert.Contains("grafanaDashboard.enabled=true", notes);
        Assert.Contains($"ConfigMap {Fullname}-dashboard", await NotesAsync("metrics.grafanaDashboard.enabled=true"));
    }

    [Fact]
    public void The_readme_quick_start_builds_installs_waits_tests_and_submits_in_that_order()
    {
        var quickStart = Readme[Readme.IndexOf("## Quick start", StringComparison.Ordinal)..];
        var readme = quickStart[quickStart.IndexOf("```bash", StringComparison.Ordinal)..];
        readme = readme[..readme.IndexOf("```\n", 7, StringComparison.Ordinal)];
        string[] steps = ["docker build -f deploy/Dockerfile", "helm install", "rollout status deploy/", "wait --for=condition=complete job/", "helm test", "submit /jobs/job.json", "orchestrator.dll status"];
        var positions = steps.Select(step => (step, at: readme.IndexOf(step, StringComparison.Ordinal))).ToList();
        Assert.All(positions, p => Assert.True(p.at >= 0, $"the chart README's quick start lacks `{p.step}`"));
        Assert.Equal(positions.Select(p => p.step), positions.OrderBy(p => p.at).Select(p => p.step));
    }

    /// <summary>The ConfigMap and key a container sees at <paramref name="path"/>, through its mounts and the pod's volumes.</summary>
    private static (string ConfigMap, string Key) MountedConfigMapFile(RenderedManifest pod, YamlNode container, string path)
    {
        var mount = ((YamlSequenceNode)container.At("volumeMounts")).Children
            .SingleOrDefault(m => path.StartsWith(m.At("mountPath").Text() + "/", StringComparison.Ordinal))
            ?? throw new Xunit.Sdk.XunitException($"{pod.Kind} {pod.Name} mounts nothing at {Path.GetDirectoryName(path)}");
        var volume = pod.PodSpec().At("volumes").Item(mount.At("name").Text());
        var key = path[(mount.At("mountPath").Text().Length + 1)..];
        return (volume.At("configMap", "name").Text(), key);
    }

    /// <summary>The claim mounted at the deepest mount point above <paramref name="path"/>.</summary>
    private static string ClaimMountedAbove(RenderedManifest pod, YamlNode container, string path)
    {
        var mount = ((YamlSequenceNode)container.At("volumeMounts")).Children
            .Where(m => path.StartsWith(m.At("mountPath").Text().TrimEnd('/') + "/", StringComparison.Ordinal))
            .MaxBy(m => m.At("mountPath").Text().Length)
            ?? throw new Xunit.Sdk.XunitException($"{pod.Kind} {pod.Name} mounts nothing above {path}");
        return pod.PodSpec().At("volumes").Item(mount.At("name").Text()).At("persistentVolumeClaim", "claimName").Text();
    }

    private static string ControlPort(IReadOnlyList<RenderedManifest> docs) =>
        docs.Find("Service", $"{Fullname}-coordinator").Document.At("spec", "ports").Item("control").At("port").Text();

    /// <summary>The job's run configuration as the workers read it: no unknown key, and valid once the data's vocabulary is known.</summary>
    private static void AssertRunnable(JsonElement job, string file)
    {
        var strict = new JsonSerializerOptions { UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow };
        var config = job.GetProperty("config").Deserialize<RunConfig>(strict) ?? throw new Xunit.Sdk.XunitException($"{file}: no config");
        config = config with { Model = config.Model with { VocabSize = 65 } }; // tinyshakespeare's characters, filled in by submit
        config.Validate();
        Assert.Matches("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", job.GetProperty("job_id").GetString());
    }

    [GeneratedRegex(@"kubectl (?:-n \S+ )?exec deploy/(?<release>[A-Za-z0-9-]+)-orchestrator-coordinator -- dotnet /app/orchestrator\.dll submit (?<file>\S+) --coordinator \S+")]
    private static partial Regex SubmitCommand();
}
