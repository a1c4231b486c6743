using System.Text.Json;
using Orchestrator.Telemetry.Tests.TestSupport;
using YamlDotNet.RepresentationModel;
using static Orchestrator.Telemetry.Tests.TestSupport.ChartRender;

namespace Orchestrator.Telemetry.Tests;

/// <summary>
/// helm/orchestrator rendered by tests/chart-render (Helm's engine, every manifest strictly decoded into its
/// Kubernetes API type) and checked for the wiring Kubernetes relies on but cannot check by itself.
/// </summary>
public sealed class HelmChartTests
{
    private const string Worker = Fullname + "-worker";
    private const string Coordinator = Fullname + "-coordinator";

    [Fact]
    public async Task Default_render_has_coordinator_workers_redis_storage_jobs_and_disruption_budgets()
    {
        var docs = await RenderAsync();
        var kinds = docs.Select(d => $"{d.Kind}/{d.Name}").ToHashSet();
        Assert.Superset(new HashSet<string>
        {
            $"Deployment/{Coordinator}", $"Service/{Coordinator}", $"ServiceAccount/{Fullname}", $"StatefulSet/{Worker}", $"Service/{Worker}",
            $"Deployment/{Fullname}-redis", $"Service/{Fullname}-redis", $"PersistentVolumeClaim/{Fullname}-redis",
            $"PersistentVolumeClaim/{Fullname}-shared", $"ConfigMap/{Fullname}-jobs", $"PodDisruptionBudget/{Worker}",
            $"PodDisruptionBudget/{Coordinator}", $"Job/{Fullname}-prepare", $"Pod/{Fullname}-test-submit",
        }, kinds);
        Assert.DoesNotContain(kinds, k => k.StartsWith("ServiceMonitor/", StringComparison.Ordinal));

        var workers = docs.Find("StatefulSet", Worker);
        var headless = docs.Find("Service", Worker);
        Assert.Equal("None", headless.Document.At("spec", "clusterIP").Text());
        Assert.Equal(Worker, workers.Document.At("spec", "serviceName").Text());

        var gatewayPort = docs.Find("Service", Coordinator).Document.At("spec", "ports").Item("gateway").At("port").Text();
        var args = workers.Containers().Single().At("args").Strings().ToList();
        Assert.Equal($"{Coordinator}:{gatewayPort}", args[args.IndexOf("--coordinator") + 1]);
        Assert.Equal($"$(POD_NAME).{Worker}.$(POD_NAMESPACE).svc", args[args.IndexOf("--advertise-host") + 1]);
        Assert.Equal($"{Fullname}-shared", workers.PodSpec().At("volumes").Item("shared").At("persistentVolumeClaim", "claimName").Text());

        using var job = JsonDocument.Parse(docs.Find("ConfigMap", $"{Fullname}-jobs").Document.At("data", "job.json").Text());
        Assert.Equal(int.Parse(workers.Document.At("spec", "replicas").Text()), job.RootElement.GetProperty("workers").GetInt32());
    }

    [Fact]
    public async Task Every_object_carries_the_recommended_labels_with_the_chart_version()
    {
        var chart = Yaml.Load(File.ReadAllText(Path.Combine(Chart, "Chart.yaml")));
        var expected = new Dictionary<string, string>
        {
            ["app.kubernetes.io/name"] = "orchestrator",
            ["app.kubernetes.io/instance"] = Release,
            ["app.kubernetes.io/version"] = chart.At("appVersion").Text(),
            ["app.kubernetes.io/managed-by"] = "Helm",
            ["helm.sh/chart"] = $"orchestrator-{chart.At("version").Text()}",
        };
        var docs = await RenderAsync("metrics.serviceMonitor.enabled=true", "metrics.grafanaDashboard.enabled=true", "security.clusterToken.value=" + Token);
        foreach (var doc in docs)
        {
            var labelSets = new List<(string Where, YamlNode Labels)> { ($"{doc.Kind}/{doc.Name}", doc.Document.At("metadata", "labels")) };
            if (doc.HasPods() && doc.Kind != "Pod") labelSets.Add(($"{doc.Kind}/{doc.Name} pod template", doc.Document.At("spec", "template", "metadata", "labels")));
            foreach (var (where, labels) in labelSets)
            {
                foreach (var (key, value) in expected)
                    Assert.True(labels.Find(key)?.Text() == value, $"{where}: label {key} is '{labels.Find(key)?.Text()}', expected '{value}'");
                Assert.False(string.IsNullOrEmpty(labels.Find("app.kubernetes.io/component")?.Text()), $"{where} has no component label");
            }
        }
    }

    [Fact]
    public async Task Every_service_selects_pods_and_every_pod_is_probed_runs_unprivileged_and_has_no_api_token()
    {
        var docs = await RenderAsync();
        var workloads = docs.Where(d => d.Kind is "Deployment" or "StatefulSet").ToList();
        foreach (var service in docs.Where(d => d.Kind == "Service"))
        {
            var selector = (YamlMappingNode)service.Document.At("spec", "selector");
            var target = workloads.SingleOrDefault(w => selector.Children.All(s =>
                w.Document.At("spec", "template", "metadata", "labels").Find(s.Key.Text())?.Text() == s.Value.Text()));
            Assert.True(target is not null, $"service {service.Name} selects no pod of the chart");
            var portNames = target.Containers().SelectMany(c => ((YamlSequenceNode)c.At("ports")).Children.Select(p => p.At("name").Text())).ToHashSet();
            foreach (var port in ((YamlSequenceNode)service.Document.At("spec", "ports")).Children)
                Assert.Contains(port.At("targetPort").Text(), portNames);
        }
        foreach (var pod in docs.Where(d => d.HasPods()))
        {
            var spec = pod.PodSpec();
            Assert.Equal("true", spec.At("securityContext", "runAsNonRoot").Text());
            Assert.Equal("false", spec.At("automountServiceAccountToken").Text());
            Assert.Equal(Fullname, spec.At("serviceAccountName").Text());
            foreach (var container in pod.Containers())
            {
                Assert.Equal("false", container.At("securityContext", "allowPrivilegeEscalation").Text());
                Assert.Equal("true", container.At("securityContext", "readOnlyRootFilesystem").Text());
                Assert.NotNull(container.At("resources", "limits").Find("memory"));
            }
            if (pod.Kind is "Deployment" or "StatefulSet")
            {
                Assert.NotNull(spec.Find("terminationGracePeriodSeconds"));
                Assert.All(pod.Containers(), c => Assert.True(c.Find("readinessProbe") is not null && c.Find("livenessProbe") is not null, $"{pod.Name} lacks a probe"));
            }
        }
        // No process calls the Kubernetes API, so the chart grants nothing.
        Assert.DoesNotContain(docs, d => d.Kind is "Role" or "RoleBinding" or "ClusterRole" or "ClusterRoleBinding");
    }

    [Fact]
    public async Task Workers_take_their_threads_from_their_cpu_limit_through_the_downward_api()
    {
        var worker = (await RenderAsync()).Find("StatefulSet", Worker).Containers().Single();
        var limit = worker.At("resources", "limits", "cpu").Text();
        Assert.False(string.IsNullOrEmpty(limit));
        var args = worker.At("args").Strings().ToList();
        var threads = args[args.IndexOf("--threads") + 1];
        Assert.Equal("$(WORKER_THREADS)", threads);
        var source = worker.At("env").Item("WORKER_THREADS").At("valueFrom", "resourceFieldRef");
        Assert.Equal("limits.cpu", source.At("resource").Text());
        Assert.Equal(worker.At("name").Text(), source.At("containerName").Text());
        Assert.Equal("1", source.At("divisor").Text());
    }

    [Fact]
    public async Task Disruption_budgets_let_a_node_drain_evict_a_worker_and_the_single_coordinator()
    {
        var docs = await RenderAsync();
        foreach (var (budget, workload) in new[] { ("PodDisruptionBudget", ("StatefulSet", Worker)), ("PodDisruptionBudget", ("Deployment", Coordinator)) })
        {
            var pdb = docs.Find(budget, workload.Item2);
            var replicas = int.Parse(docs.Find(workload.Item1, workload.Item2).Document.At("spec", "replicas").Text());
            var spec = pdb.Document.At("spec");
            var evictable = spec.Find("maxUnavailable") is { } max ? int.Parse(max.Text()) : replicas - int.Parse(spec.At("minAvailable").Text());
            Assert.True(evictable >= 1, $"{pdb.Name} allows {evictable} of {replicas} pods to be evicted: a node drain would block");
            Assert.Equal(docs.Find(workload.Item1, workload.Item2).Document.At("spec", "selector", "matchLabels").Keys().Order(),
                spec.At("selector", "matchLabels").Keys().Order());
        }
    }

    [Fact]
    public async Task Redis_keeps_its_state_on_a_volume_unless_told_to_be_ephemeral()
    {
        var persistent = (await RenderAsync()).Find("Deployment", $"{Fullname}-redis");
        Assert.Equal($"{Fullname}-redis", persistent.PodSpec().At("volumes").Item("data").At("persistentVolumeClaim", "claimName").Text());
        Assert.Equal("/data", persistent.Containers().Single().At("volumeMounts").Item("data").At("mountPath").Text());
        Assert.Equal("Recreate", persistent.Document.At("spec", "strategy", "type").Text());
        Assert.Contains("yes", persistent.Containers().Single().At("args").Strings());

        var ephemeral = await RenderAsync("redis.persistence.enabled=false");
        Assert.DoesNotContain(ephemeral, d => d.Kind == "PersistentVolumeClaim" && d.Name == $"{Fullname}-redis");
        Assert.NotNull(ephemeral.Find("Deployment", $"{Fullname}-redis").PodSpec().At("volumes").Item("data").Find("emptyDir"));
        Assert.Contains("ephemeral", File.ReadAllText(Path.Combine(Chart, "README.md")), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Overrides_add_gpus_service_monitor_dashboard_and_use_an_existing_claim_and_redis()
    {
        var docs = await RenderAsync("workers.gpus=1", "metrics.serviceMonitor.enabled=true", "metrics.grafanaDashboard.enabled=true",
            "persistence.existingClaim=team-nfs", "redis.enabled=false", "redis.existing=redis.infra:6379", "workers.peakTflops=989",
            "workers.channelsPerLink=4");
        var worker = docs.Find("StatefulSet", Worker).Containers().Single();
        Assert.Equal("1", worker.At("resources", "limits", "nvidia.com/gpu").Text());
        Assert.Contains("989", worker.At("args").Strings());
        Assert.Equal("4", worker.At("env").Item("Collective__ChannelsPerLink").At("value").Text());
        var monitor = docs.Find("ServiceMonitor", Fullname).Document;
        var monitoredPorts = ((YamlSequenceNode)monitor.At("spec", "endpoints")).Children.Select(e => e.At("port").Text()).ToHashSet();
        Assert.Equal(new HashSet<string> { "health", "metrics" }, monitoredPorts);
        using var dashboard = JsonDocument.Parse(docs.Find("ConfigMap", $"{Fullname}-dashboard").Document.At("data", "orchestrator.json").Text());
        Assert.Equal(File.ReadAllText(RepositoryPaths.PathOf("deploy", "grafana", "dashboards", "orchestrator.json")).Trim(),
            docs.Find("ConfigMap", $"{Fullname}-dashboard").Document.At("data", "orchestrator.json").Text().Trim());
        Assert.DoesNotContain(docs, d => d.Kind == "PersistentVolumeClaim");
        Assert.DoesNotContain(docs, d => d.Name == $"{Fullname}-redis");
        Assert.All(docs.Where(d => d.HasPods()).Select(d => d.PodSpec().At("volumes").Item("shared")),
            v => Assert.Equal("team-nfs", v.At("persistentVolumeClaim", "claimName").Text()));
        var redisEnv = docs.Find("Deployment", Coordinator).Containers().Single().At("env").Item("Orchestrator__Redis__ConnectionString");
        Assert.Equal("redis.infra:6379", redisEnv.At("value").Text());
    }

    [Fact]
    public async Task Disabling_bundled_redis_without_naming_another_fails_the_render_saying_which_value_to_set()
    {
        var result = await RunAsync(Chart, ["--set", "redis.enabled=false"]);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("redis.existing", result.Stderr);
    }

    [Fact]
    public void Every_value_is_read_by_a_template_and_documented_in_the_chart_readme()
    {
        var readme = File.ReadAllText(Path.Combine(Chart, "README.md"));
        var leaves = Leaves(Yaml.Load(File.ReadAllText(Path.Combine(Chart, "values.yaml"))), "", readme).ToList();
        Assert.All(leaves, leaf => Assert.Contains($"`{leaf}`", readme));
        var templates = string.Join('\n', Directory.GetFiles(Path.Combine(Chart, "templates"), "*", SearchOption.AllDirectories).Select(File.ReadAllText));
        // A leaf is read when a template names it or a map above it (`.Values.job | toPrettyJson` reads all of job).
        bool Read(string leaf)
        {
            var parts = leaf.Split('.');
            return Enumerable.Range(1, parts.Length).Select(n => ".Values." + string.Join('.', parts.Take(n)))
                .Any(path => System.Text.RegularExpressions.Regex.IsMatch(templates, System.Text.RegularExpressions.Regex.Escape(path) + @"(?![A-Za-z0-9_])"));
        }
        var unread = leaves.Where(leaf => !Read(leaf)).ToList();
        Assert.True(unread.Count == 0, "values no template reads: " + string.Join(", ", unread));
    }

    [Fact]
    public async Task Cluster_token_value_becomes_a_secret_that_pods_read_by_reference_and_no_config_map_holds()
    {
        var docs = await RenderAsync("security.clusterToken.value=" + Token);

        var secret = docs.Find("Secret", $"{Fullname}-cluster-token");
        Assert.Equal(Token, secret.Document.At("stringData", "token").Text());
        foreach (var workload in new[] { docs.Find("Deployment", Coordinator), docs.Find("StatefulSet", Worker), docs.Find("Pod", $"{Fullname}-test-submit") })
        {
            var env = workload.Containers().Single().At("env").Item("ORCHESTRATOR_CLUSTER_TOKEN");
            Assert.Null(env.Find("value"));
            Assert.Equal($"{Fullname}-cluster-token", env.At("valueFrom", "secretKeyRef", "name").Text());
            Assert.Equal("token", env.At("valueFrom", "secretKeyRef", "key").Text());
        }
        var holders = docs.Where(d => Serialize(d.Document).Contains(Token, StringComparison.Ordinal)).Select(d => $"{d.Kind}/{d.Name}");
        Assert.Equal([$"Secret/{Fullname}-cluster-token"], holders);
        Assert.DoesNotContain("WARNING", await NotesAsync("security.clusterToken.value=" + Token));
    }

    [Fact]
    public async Task An_existing_token_secret_is_referenced_and_the_chart_creates_none()
    {
        var docs = await RenderAsync("security.clusterToken.existingSecret=team-cluster-token", "security.clusterToken.key=secret");

        Assert.DoesNotContain(docs, d => d.Kind == "Secret");
        var env = docs.Find("StatefulSet", Worker).Containers().Single().At("env").Item("ORCHESTRATOR_CLUSTER_TOKEN");
        Assert.Equal("team-cluster-token", env.At("valueFrom", "secretKeyRef", "name").Text());
        Assert.Equal("secret", env.At("valueFrom", "secretKeyRef", "key").Text());
    }

    [Fact]
    public async Task By_default_no_token_and_no_tls_reach_the_pods_and_the_notes_warn()
    {
        var docs = await RenderAsync();

        Assert.DoesNotContain(docs, d => d.Kind == "Secret");
        var names = docs.Where(d => d.HasPods()).SelectMany(d => d.Containers())
            .SelectMany(c => c.Find("env") is YamlSequenceNode env ? env.Children : []).Select(e => e.At("name").Text());
        Assert.DoesNotContain(names, n => n.StartsWith("ORCHESTRATOR_", StringComparison.Ordinal));
        Assert.Contains("WARNING: no cluster token", await NotesAsync());
    }

    [Fact]
    public async Task Tls_mounts_its_secret_into_every_grpc_client_and_points_the_cli_at_the_files()
    {
        var docs = await RenderAsync("security.tls.enabled=true");

        foreach (var workload in new[] { docs.Find("Deployment", Coordinator), docs.Find("StatefulSet", Worker), docs.Find("Pod", $"{Fullname}-test-submit") })
        {
            Assert.Equal($"{Fullname}-tls", workload.PodSpec().At("volumes").Item("tls").At("secret", "secretName").Text());
            var container = workload.Containers().Single();
            var mount = container.At("volumeMounts").Item("tls");
            Assert.Equal("true", mount.At("readOnly").Text());
            var env = ((YamlSequenceNode)container.At("env")).Children.ToDictionary(e => e.At("name").Text(), e => e.Find("value")?.Text());
            var mountPath = mount.At("mountPath").Text();
            Assert.Equal($"{mountPath}/tls.crt", env["ORCHESTRATOR_TLS_CERT"]);
            Assert.Equal($"{mountPath}/tls.key", env["ORCHESTRATOR_TLS_KEY"]);
            Assert.Equal($"{mountPath}/ca.crt", env["ORCHESTRATOR_TLS_CA"]);
        }
        var named = await RenderAsync("security.tls.enabled=true", "security.tls.secretName=cluster-tls");
        Assert.Equal("cluster-tls", named.Find("StatefulSet", Worker).PodSpec().At("volumes").Item("tls").At("secret", "secretName").Text());
    }

    private const string Token = "helm-test-token-5f0c2a9e7b41d3c8";

    private static string Serialize(YamlNode node)
    {
        using var writer = new StringWriter();
        new YamlStream(new YamlDocument(node)).Save(writer, assignAnchors: false);
        return writer.ToString();
    }

    /// <summary>Every value's dotted path; a map the README documents as a whole (<c>job</c>) is one value.</summary>
    private static IEnumerable<string> Leaves(YamlNode node, string prefix, string readme) =>
        node is YamlMappingNode mapping && mapping.Children.Count > 0 && !readme.Contains($"| `{prefix}` |", StringComparison.Ordinal)
            ? mapping.Children.SelectMany(c => Leaves(c.Value, prefix.Length == 0 ? c.Key.Text() : $"{prefix}.{c.Key.Text()}", readme))
            : [prefix];
}
