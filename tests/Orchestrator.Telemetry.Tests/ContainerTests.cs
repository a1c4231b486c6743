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

    [Fact]
    public async Task Compose_publishes_on_loopback_unless_told_and_the_coordinator_refuses_a_public_port_without_a_token()
    {
        var loopback = Yaml.Load((await ComposeConfigAsync([])).Stdout).At("services");
        Assert.Equal(["127.0.0.1:5050:5050/tcp"], loopback.At("coordinator", "ports").Strings());
        Assert.Equal(["127.0.0.1:3000:3000/tcp"], loopback.At("grafana", "ports").Strings());
        Assert.Equal(["127.0.0.1:9090:9090/tcp"], loopback.At("prometheus", "ports").Strings());
        Assert.All(Workers, w => Assert.Null(loopback.At(w).Find("ports")));
        var published = Yaml.Load((await ComposeConfigAsync(["ORCHESTRATOR_PUBLISH_ADDRESS=0.0.0.0"])).Stdout).At("services");
        Assert.Equal(["0.0.0.0:5050:5050/tcp"], published.At("coordinator", "ports").Strings());
        Assert.Contains("set ORCHESTRATOR_PUBLISH_ADDRESS=0.0.0.0 AND a cluster token", File.ReadAllText(RepositoryPaths.PathOf("docker-compose.yml")));

        // The coordinator's entrypoint, run by sh as the container would, with a stand-in for dotnet.
        var entrypoint = loopback.At("coordinator", "entrypoint").Strings().Select(s => s.Replace("$$", "$", StringComparison.Ordinal)).ToList();
        var command = loopback.At("coordinator", "command").Strings().ToList();
        using var stub = new TempDirectory();
        File.WriteAllText(stub.Sub("dotnet"), "#!/bin/sh\necho \"started $*\"\n");
        Assert.Equal(0, (await Tool.RunAsync("chmod", ["+x", stub.Sub("dotnet")])).ExitCode);
        async Task<Tool.Result> Start(string address, string token) => await Tool.RunAsync("env",
            [$"PATH={stub.Path}:/usr/bin:/bin", $"ORCHESTRATOR_PUBLISH_ADDRESS={address}", $"ORCHESTRATOR_CLUSTER_TOKEN={token}", .. entrypoint, .. command]);

        var local = await Start("127.0.0.1", "");
        Assert.True(local.ExitCode == 0, local.Describe());
        Assert.Equal($"started /app/orchestrator.dll {string.Join(' ', command)}", local.Stdout.Trim());
        var open = await Start("0.0.0.0", "");
        Assert.Equal(1, open.ExitCode);
        Assert.Contains("set ORCHESTRATOR_CLUSTER_TOKEN", open.Stderr);
        Assert.Equal("", open.Stdout);
        var secured = await Start("0.0.0.0", new string('a', 64));
        Assert.True(secured.ExitCode == 0, secured.Describe());
    }

    private static async Task<Tool.Result> ComposeConfigAsync(IReadOnlyList<string> environment)
    {
        Assert.True(Tool.Exists("docker-compose"), "docker-compose is not installed: run scripts/setup.sh --tools (Debian package docker-compose)");
        var result = await Tool.RunAsync("env", [.. environment, "docker-compose", "-f", "docker-compose.yml", "config"], workingDirectory: RepositoryPaths.Root);
        Assert.True(result.ExitCode == 0, result.Describe());
        return result;
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
        Assert.Matches(new Regex(@"^STOPSIGNAL SIGTERM$", RegexOptions.Multiline), dockerfile);
        // Every project the CLI depends on is copied before restore, or the restore layer would miss it.
        var copied = Regex.Matches(dockerfile, @"COPY (src/[^/]+)/\S+\.csproj").Select(m => m.Groups[1].Value).ToHashSet();
        var projects = Directory.GetDirectories(RepositoryPaths.PathOf("src")).Where(d => Directory.GetFiles(d, "*.csproj").Length > 0)
            .Select(d => "src/" + Path.GetFileName(d)).ToHashSet();
        Assert.Equal(projects.Order(), copied.Order());
    }
}
