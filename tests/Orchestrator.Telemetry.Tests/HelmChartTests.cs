using System.Text.Json;
using System.Text.RegularExpressions;
using Orchestrator.Telemetry.Tests.TestSupport;
using YamlDotNet.RepresentationModel;

namespace Orchestrator.Telemetry.Tests;

/// <summary>
/// helm/orchestrator checked offline: Helm itself is not installable here and kubectl needs a cluster, so the
/// templates are rendered by <see cref="ChartRenderer"/> and the manifests checked for the wiring Kubernetes relies on.
/// </summary>
public sealed class HelmChartTests
{
    private static string Chart => Repository.PathOf("helm", "orchestrator");

    private static List<(string Template, YamlNode Document)> Render(Dictionary<string, string>? overrides = null) =>
        new ChartRenderer(Chart, overrides).RenderAll().ToList();

    private static YamlNode Find(IEnumerable<(string, YamlNode Document)> docs, string kind, string name) =>
        docs.Select(d => d.Document).SingleOrDefault(d => d.At("kind").Text() == kind && d.At("metadata", "name").Text() == name)
        ?? throw new Xunit.Sdk.XunitException($"no {kind} {name} in the rendered chart");

    [Fact]
    public void Default_render_has_coordinator_workers_redis_storage_job_and_disruption_budgets()
    {
        var docs = Render();
        var kinds = docs.Select(d => $"{d.Document.At("kind").Text()}/{d.Document.At("metadata", "name").Text()}").ToHashSet();
        Assert.Superset(new HashSet<string>
        {
            "Deployment/rel-coordinator", "Service/rel-coordinator", "ServiceAccount/rel-coordinator", "Role/rel-coordinator",
            "RoleBinding/rel-coordinator", "StatefulSet/rel-worker", "Service/rel-worker", "Deployment/rel-redis", "Service/rel-redis",
            "PersistentVolumeClaim/rel-shared", "ConfigMap/rel-job", "PodDisruptionBudget/rel-worker", "PodDisruptionBudget/rel-coordinator",
        }, kinds);
        Assert.DoesNotContain(kinds, k => k.StartsWith("ServiceMonitor/", StringComparison.Ordinal));

        var workers = Find(docs, "StatefulSet", "rel-worker");
        var headless = Find(docs, "Service", "rel-worker");
        Assert.Equal("None", headless.At("spec", "clusterIP").Text());
        Assert.Equal("rel-worker", workers.At("spec", "serviceName").Text());

        var coordinatorService = Find(docs, "Service", "rel-coordinator");
        var gatewayPort = ((YamlSequenceNode)coordinatorService.At("spec", "ports")).Children.Single(p => p.At("name").Text() == "gateway").At("port").Text();
        var args = Containers(workers).Single().At("args").Strings().ToList();
        Assert.Equal($"rel-coordinator:{gatewayPort}", args[args.IndexOf("--coordinator") + 1]);
        Assert.Equal("$(POD_NAME).rel-worker.$(POD_NAMESPACE).svc", args[args.IndexOf("--advertise-host") + 1]);
        Assert.Equal("rel-shared", ((YamlSequenceNode)workers.At("spec", "template", "spec", "volumes")).Children
            .Single(v => v.At("name").Text() == "shared").At("persistentVolumeClaim", "claimName").Text());

        using var job = JsonDocument.Parse(Find(docs, "ConfigMap", "rel-job").At("data", "job.json").Text());
        Assert.Equal(int.Parse(workers.At("spec", "replicas").Text()), job.RootElement.GetProperty("workers").GetInt32());
    }

    [Fact]
    public void Every_service_selects_pods_and_every_pod_is_probed_and_runs_unprivileged()
    {
        var docs = Render();
        var workloads = docs.Select(d => d.Document).Where(d => d.At("kind").Text() is "Deployment" or "StatefulSet").ToList();
        foreach (var service in docs.Select(d => d.Document).Where(d => d.At("kind").Text() == "Service"))
        {
            var selector = (YamlMappingNode)service.At("spec", "selector");
            var target = workloads.SingleOrDefault(w => selector.Children.All(s =>
                w.At("spec", "template", "metadata", "labels").Find(s.Key.Text())?.Text() == s.Value.Text()));
            Assert.True(target is not null, $"service {service.At("metadata", "name").Text()} selects no pod of the chart");
            var portNames = Containers(target!).SelectMany(c => ((YamlSequenceNode)c.At("ports")).Children.Select(p => p.At("name").Text())).ToHashSet();
            foreach (var port in ((YamlSequenceNode)service.At("spec", "ports")).Children)
                Assert.Contains(port.At("targetPort").Text(), portNames);
        }
        foreach (var workload in workloads)
        {
            var name = workload.At("metadata", "name").Text();
            Assert.Equal("true", workload.At("spec", "template", "spec", "securityContext", "runAsNonRoot").Text());
            var selector = (YamlMappingNode)workload.At("spec", "selector", "matchLabels");
            Assert.All(selector.Children, s => Assert.Equal(s.Value.Text(), workload.At("spec", "template", "metadata", "labels", s.Key.Text()).Text()));
            foreach (var container in Containers(workload))
            {
                Assert.True(container.Find("readinessProbe") is not null && container.Find("livenessProbe") is not null, $"{name} lacks a probe");
                Assert.Equal("false", container.At("securityContext", "allowPrivilegeEscalation").Text());
            }
        }
    }

    [Fact]
    public void Overrides_add_gpus_service_monitor_and_use_an_existing_claim_and_redis()
    {
        var docs = Render(new Dictionary<string, string>
        {
            ["workers.gpus"] = "1",
            ["metrics.serviceMonitor.enabled"] = "true",
            ["persistence.existingClaim"] = "team-nfs",
            ["redis.enabled"] = "false",
            ["redis.existing"] = "redis.infra:6379",
            ["workers.peakTflops"] = "989",
        });
        var worker = Containers(Find(docs, "StatefulSet", "rel-worker")).Single();
        Assert.Equal("1", worker.At("resources", "limits", "nvidia.com/gpu").Text());
        Assert.Contains("989", worker.At("args").Strings());
        Assert.NotNull(Find(docs, "ServiceMonitor", "rel-orchestrator"));
        Assert.DoesNotContain(docs, d => d.Document.At("kind").Text() == "PersistentVolumeClaim");
        Assert.DoesNotContain(docs, d => d.Document.At("metadata", "name").Text() == "rel-redis");
        var redisEnv = ((YamlSequenceNode)Containers(Find(docs, "Deployment", "rel-coordinator")).Single().At("env")).Children
            .Single(e => e.At("name").Text() == "Orchestrator__Redis__ConnectionString");
        Assert.Equal("redis.infra:6379", redisEnv.At("value").Text());
    }

    [Fact]
    public void Every_value_is_used_by_a_template_and_documented_in_the_chart_readme()
    {
        var renderer = new ChartRenderer(Chart);
        renderer.RenderAll();
        var leaves = Leaves(Yaml.Load(File.ReadAllText(Path.Combine(Chart, "values.yaml"))), "").ToList();
        var readme = File.ReadAllText(Path.Combine(Chart, "README.md"));
        Assert.All(leaves, leaf => Assert.Contains($"`{leaf}`", readme));
        // Values behind a disabled branch are read only when it is on: render once more with every branch on.
        var allOn = new ChartRenderer(Chart, new Dictionary<string, string>
        {
            ["metrics.serviceMonitor.enabled"] = "true", ["workers.peakTflops"] = "1", ["workers.gpus"] = "1",
            ["persistence.storageClass"] = "fast", ["redis.enabled"] = "false",
            ["security.clusterToken.value"] = Token, ["security.tls.enabled"] = "true", ["security.tls.secretName"] = "cluster-tls",
        });
        allOn.RenderAll();
        var used = renderer.UsedValues.Union(allOn.UsedValues).ToHashSet();
        var unused = leaves.Where(leaf => !used.Any(u => leaf == u || leaf.StartsWith(u + ".", StringComparison.Ordinal))).ToList();
        Assert.True(unused.Count == 0, "values no template reads: " + string.Join(", ", unused));
        Assert.Matches(new Regex(@"^apiVersion: v2$", RegexOptions.Multiline), File.ReadAllText(Path.Combine(Chart, "Chart.yaml")));
    }

    [Fact]
    public void Cluster_token_value_becomes_a_secret_that_pods_read_by_reference_and_no_config_map_holds()
    {
        var docs = Render(new Dictionary<string, string> { ["security.clusterToken.value"] = Token });

        var secret = Find(docs, "Secret", "rel-cluster-token");
        Assert.Equal(Token, secret.At("stringData", "token").Text());
        foreach (var workload in new[] { Find(docs, "Deployment", "rel-coordinator"), Find(docs, "StatefulSet", "rel-worker") })
        {
            var env = TokenEnvironment(workload);
            Assert.Null(env.Find("value"));
            Assert.Equal("rel-cluster-token", env.At("valueFrom", "secretKeyRef", "name").Text());
            Assert.Equal("token", env.At("valueFrom", "secretKeyRef", "key").Text());
        }
        var holders = docs.Where(d => Serialize(d.Document).Contains(Token, StringComparison.Ordinal))
            .Select(d => $"{d.Document.At("kind").Text()}/{d.Document.At("metadata", "name").Text()}");
        Assert.Equal(["Secret/rel-cluster-token"], holders);
    }

    [Fact]
    public void An_existing_token_secret_is_referenced_and_the_chart_creates_none()
    {
        var docs = Render(new Dictionary<string, string>
        {
            ["security.clusterToken.existingSecret"] = "team-cluster-token", ["security.clusterToken.key"] = "secret",
        });

        Assert.DoesNotContain(docs, d => d.Document.At("kind").Text() == "Secret");
        var env = TokenEnvironment(Find(docs, "StatefulSet", "rel-worker"));
        Assert.Equal("team-cluster-token", env.At("valueFrom", "secretKeyRef", "name").Text());
        Assert.Equal("secret", env.At("valueFrom", "secretKeyRef", "key").Text());
    }

    [Fact]
    public void By_default_no_token_and_no_tls_reach_the_pods()
    {
        var docs = Render();

        Assert.DoesNotContain(docs, d => d.Document.At("kind").Text() == "Secret");
        var names = docs.Select(d => d.Document).Where(d => d.At("kind").Text() is "Deployment" or "StatefulSet")
            .SelectMany(Containers).SelectMany(c => c.Find("env") is YamlSequenceNode env ? env.Children : []).Select(e => e.At("name").Text());
        Assert.DoesNotContain(names, n => n.StartsWith("ORCHESTRATOR_", StringComparison.Ordinal));
    }

    [Fact]
    public void Tls_mounts_its_secret_into_coordinator_and_workers_and_points_the_cli_at_the_files()
    {
        var docs = Render(new Dictionary<string, string> { ["security.tls.enabled"] = "true" });

        foreach (var workload in new[] { Find(docs, "Deployment", "rel-coordinator"), Find(docs, "StatefulSet", "rel-worker") })
        {
            var volume = ((YamlSequenceNode)workload.At("spec", "template", "spec", "volumes")).Children.Single(v => v.At("name").Text() == "tls");
            Assert.Equal("rel-tls", volume.At("secret", "secretName").Text());
            var container = Containers(workload).Single();
            var mount = ((YamlSequenceNode)container.At("volumeMounts")).Children.Single(m => m.At("name").Text() == "tls");
            Assert.Equal("true", mount.At("readOnly").Text());
            var env = ((YamlSequenceNode)container.At("env")).Children.ToDictionary(e => e.At("name").Text(), e => e.Find("value")?.Text());
            var mountPath = mount.At("mountPath").Text();
            Assert.Equal($"{mountPath}/tls.crt", env["ORCHESTRATOR_TLS_CERT"]);
            Assert.Equal($"{mountPath}/tls.key", env["ORCHESTRATOR_TLS_KEY"]);
            Assert.Equal($"{mountPath}/ca.crt", env["ORCHESTRATOR_TLS_CA"]);
        }
        var named = Render(new Dictionary<string, string> { ["security.tls.enabled"] = "true", ["security.tls.secretName"] = "cluster-tls" });
        Assert.Equal("cluster-tls", ((YamlSequenceNode)Find(named, "StatefulSet", "rel-worker").At("spec", "template", "spec", "volumes")).Children
            .Single(v => v.At("name").Text() == "tls").At("secret", "secretName").Text());
    }

    private const string Token = "helm-test-token-5f0c2a9e7b41d3c8";

    private static YamlNode TokenEnvironment(YamlNode workload) =>
        ((YamlSequenceNode)Containers(workload).Single().At("env")).Children.Single(e => e.At("name").Text() == "ORCHESTRATOR_CLUSTER_TOKEN");

    private static string Serialize(YamlNode node)
    {
        using var writer = new StringWriter();
        new YamlStream(new YamlDocument(node)).Save(writer, assignAnchors: false);
        return writer.ToString();
    }

    private static IEnumerable<YamlNode> Containers(YamlNode workload) =>
        ((YamlSequenceNode)workload.At("spec", "template", "spec", "containers")).Children;

    private static IEnumerable<string> Leaves(YamlNode node, string prefix) => node is YamlMappingNode mapping && mapping.Children.Count > 0
        ? mapping.Children.SelectMany(c => Leaves(c.Value, prefix.Length == 0 ? c.Key.Text() : $"{prefix}.{c.Key.Text()}"))
        : [prefix];
}
