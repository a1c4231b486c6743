using System.Text.Json;
using System.Text.RegularExpressions;
using Orchestrator.Telemetry.Tests.TestSupport;

namespace Orchestrator.Telemetry.Tests;

/// <summary>
/// docker-compose.yml and deploy/Dockerfile, checked offline: no Docker engine runs here, so the compose file is
/// validated and normalised by Debian's <c>docker-compose config</c> and the result is checked for what the stack needs.
/// </summary>
public sealed class ContainerTests
{
    private static readonly string[] Workers = ["worker-0", "worker-1"];

    [Fact]
    public async Task Compose_file_is_valid_and_wires_redis_coordinator_workers_prometheus_and_grafana()
    {
        Assert.True(Tool.Exists("docker-compose"), "docker-compose is not installed: run scripts/setup.sh --tools (Debian package docker-compose)");
        var result = await Tool.RunAsync("docker-compose", ["-f", "docker-compose.yml", "--profile", "demo", "config"], workingDirectory: RepositoryPaths.Root);
        Assert.True(result.ExitCode == 0, result.Describe());
        var services = Yaml.Load(result.Stdout).At("services");
        Assert.Superset(new HashSet<string>(["redis", "coordinator", "prometheus", "grafana", "demo", .. Workers]), services.Keys().ToHashSet());

        foreach (var name in (string[])["redis", "coordinator", "prometheus", "grafana", .. Workers])
            Assert.NotNull(services.At(name).Find("healthcheck"));
        Assert.Equal("service_healthy", services.At("coordinator", "depends_on", "redis", "condition").Text());
        Assert.Equal("service_healthy", services.At("grafana", "depends_on", "prometheus", "condition").Text());

        var coordinatorCommand = services.At("coordinator", "command").Strings().ToList();
        var advertised = coordinatorCommand[coordinatorCommand.IndexOf("--advertise") + 1];
        Assert.Equal(advertised, services.At("coordinator", "networks", "orchestrator", "ipv4_address").Text());
        var prometheusConfig = File.ReadAllText(RepositoryPaths.PathOf("deploy", "prometheus", "prometheus.yml"));
        foreach (var worker in Workers)
        {
            var service = services.At(worker);
            Assert.Equal("service_healthy", service.At("depends_on", "coordinator", "condition").Text());
            var command = service.At("command").Strings().ToList();
            Assert.Equal($"{advertised}:30000", command[command.IndexOf("--coordinator") + 1]);
            Assert.Equal(worker, command[command.IndexOf("--advertise-host") + 1]);
            Assert.Contains($"\"{worker}:{command[command.IndexOf("--metrics-port") + 1]}\"", prometheusConfig);
            Assert.Contains("/shared", string.Join(' ', MountTargets(service)));
        }
        Assert.Contains("\"coordinator:5051\"", prometheusConfig);

        var grafanaMounts = MountTargets(services.At("grafana")).ToList();
        Assert.Contains("/etc/grafana/provisioning", grafanaMounts);
        Assert.Contains("/var/lib/grafana/dashboards", grafanaMounts);

        using var job = JsonDocument.Parse(File.ReadAllText(RepositoryPaths.PathOf("deploy", "jobs", "demo.json")));
        Assert.Equal(Workers.Length, job.RootElement.GetProperty("workers").GetInt32());
        Assert.StartsWith("/shared/", job.RootElement.GetProperty("data").GetString());
        Assert.Contains(job.RootElement.GetProperty("data").GetString()!, services.At("demo", "command").Strings().Single());
    }

    /// <summary>Container paths of a service's mounts, in the short (<c>source:target[:mode]</c>) or long syntax.</summary>
    private static IEnumerable<string> MountTargets(YamlDotNet.RepresentationModel.YamlNode service) =>
        ((YamlDotNet.RepresentationModel.YamlSequenceNode)service.At("volumes")).Children
            .Select(v => v is YamlDotNet.RepresentationModel.YamlScalarNode ? v.Text().Split(':')[1] : v.At("target").Text());

    [Fact]
    public void Dockerfile_builds_in_stages_runs_as_non_root_and_switches_torch_backend_by_argument()
    {
        var dockerfile = File.ReadAllText(RepositoryPaths.PathOf("deploy", "Dockerfile"));
        Assert.Equal(2, Regex.Matches(dockerfile, @"^FROM ", RegexOptions.Multiline).Count);
        Assert.Matches(new Regex(@"^USER \$APP_UID$", RegexOptions.Multiline), dockerfile);
        Assert.Matches(new Regex(@"dotnet publish .*-p:TorchBackend=\$\{TORCH_BACKEND\}"), dockerfile);
        Assert.Contains("ENTRYPOINT [\"dotnet\", \"/app/orchestrator.dll\"]", dockerfile);
        // Every project the CLI depends on is copied before restore, or the restore layer would miss it.
        var copied = Regex.Matches(dockerfile, @"COPY (src/[^/]+)/\S+\.csproj").Select(m => m.Groups[1].Value).ToHashSet();
        var projects = Directory.GetDirectories(RepositoryPaths.PathOf("src")).Where(d => Directory.GetFiles(d, "*.csproj").Length > 0)
            .Select(d => "src/" + Path.GetFileName(d)).ToHashSet();
        Assert.Equal(projects.Order(), copied.Order());
    }
}
