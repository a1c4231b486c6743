using System.Globalization;
using System.Text.Json;
using Orchestrator.Telemetry.Tests.TestSupport;

namespace Orchestrator.Telemetry.Tests;

/// <summary>
/// The whole metrics path for real: a coordinator and two worker processes of the CLI train a small GPT on loopback
/// while Debian's Prometheus scrapes all three; the series it stored are checked against the run's own metrics.jsonl.
/// </summary>
[Collection(RealProcessCollection.Name)]
public sealed class PrometheusScrapeTests
{
    private const int Steps = 30, BatchSize = 4, BlockSize = 32;
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Prometheus_scrapes_training_series_from_coordinator_and_workers_during_a_real_job()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.Sub("input.txt"), File.ReadAllText(RepositoryPaths.TinyShakespeare)[..60_000]);
        var prepared = await Tool.RunAsync("dotnet", [RepositoryPaths.CliDll, "prepare", "--input", temp.Sub("input.txt"), "--tokenizer", "char", "--out", temp.Sub("data")],
            timeout: TimeSpan.FromMinutes(2));
        Assert.True(prepared.ExitCode == 0, prepared.Describe());

        var ports = FreePorts.Take(7);
        int silo = ports[0], gateway = ports[1], control = ports[2], health = ports[3], prometheusPort = ports[6];
        int[] workerPorts = [ports[4], ports[5]];
        using var coordinator = ChildProcess.Cli("coordinator", "coordinator", "--state-dir", temp.Sub("coordinator-state"), "--silo-port", $"{silo}", "--gateway-port", $"{gateway}",
            "--control-port", $"{control}", "--health-port", $"{health}");
        using var worker0 = ChildProcess.Cli("worker-0", "worker", "--coordinator", $"127.0.0.1:{gateway}", "--worker-id", "w0",
            "--threads", "1", "--metrics-port", $"{workerPorts[0]}", "--peak-tflops", "1");
        using var worker1 = ChildProcess.Cli("worker-1", "worker", "--coordinator", $"127.0.0.1:{gateway}", "--worker-id", "w1",
            "--threads", "1", "--metrics-port", $"{workerPorts[1]}", "--peak-tflops", "1");
        string[] targets = [$"127.0.0.1:{health}", $"127.0.0.1:{workerPorts[0]}", $"127.0.0.1:{workerPorts[1]}"];
        using var prometheus = new PrometheusServer(temp.Path, prometheusPort, targets);
        string Context() => string.Join('\n', coordinator.Describe(), worker0.Describe(), worker1.Describe(), prometheus.Output);

        await prometheus.WaitForAsync("orchestrator_cluster_workers_alive", r => r.Count == 1 && r[0].Value == 2, Patience, Context);
        var runDir = temp.Sub("run");
        File.WriteAllText(temp.Sub("job.json"), JsonSerializer.Serialize(new
        {
            job_id = "metrics-job",
            data = temp.Sub("data"),
            run_dir = runDir,
            workers = 2,
            config = new
            {
                model = new { model = "gpt", n_layer = 2, n_head = 2, n_embd = 32, block_size = BlockSize },
                training = new
                {
                    max_steps = Steps, batch_size = BatchSize, log_interval = 5, eval_interval = 15, eval_batches = 2,
                    checkpoint_interval = 15, warmup_steps = 5, learning_rate = 3e-3, threads = 1,
                },
            },
        }));
        var submitted = await Tool.RunAsync("dotnet", [RepositoryPaths.CliDll, "submit", temp.Sub("job.json"), "--coordinator", $"127.0.0.1:{control}"]);
        Assert.True(submitted.ExitCode == 0, submitted.Describe() + Context());

        await prometheus.WaitForAsync("orchestrator_job_state{job_id=\"metrics-job\",state=\"Completed\"}", r => r.Count == 1 && r[0].Value == 1, Patience, Context);
        var steps = await prometheus.WaitForAsync("orchestrator_training_steps_total{job_id=\"metrics-job\"}",
            r => r.Count == 2 && r.All(s => s.Value == Steps), Patience, Context);
        Assert.Equal(["0", "1"], steps.Select(s => s.Labels["rank"]).Order());
        Assert.Equal(["w0", "w1"], steps.Select(s => s.Labels["worker"]).Order());

        // Each rank trains its half of every global batch: steps × micro-batch × block tokens.
        var tokens = await prometheus.QueryAsync("orchestrator_training_tokens_total{job_id=\"metrics-job\"}");
        Assert.All(tokens, t => Assert.Equal(Steps * BatchSize * BlockSize, t.Value));
        var samples = await prometheus.QueryAsync("sum(orchestrator_training_samples_total{job_id=\"metrics-job\"})");
        Assert.Equal(2 * Steps * BatchSize, samples.Single().Value);

        var lastTrain = File.ReadLines(Path.Combine(runDir, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement)
            .Last(row => row.GetProperty("kind").GetString() == "train");
        var loss = await prometheus.QueryAsync("orchestrator_training_loss{job_id=\"metrics-job\",rank=\"0\"}");
        Assert.Equal(lastTrain.GetProperty("loss").GetDouble(), loss.Single().Value, 9);
        var rate = await prometheus.QueryAsync("orchestrator_training_learning_rate{job_id=\"metrics-job\",rank=\"0\"}");
        Assert.Equal(lastTrain.GetProperty("lr").GetDouble(), rate.Single().Value, 12);
        var validation = await prometheus.QueryAsync("orchestrator_validation_loss{job_id=\"metrics-job\"}");
        Assert.Equal(2, validation.Count);
        Assert.All(validation, v => Assert.InRange(v.Value, 0.5, Math.Log(200)));

        var stepTime = await prometheus.QueryAsync("orchestrator_training_step_duration_seconds_count{job_id=\"metrics-job\",phase=\"total\"}");
        Assert.All(stepTime, s => Assert.Equal(Steps, s.Value));
        foreach (var phase in new[] { "forward_backward", "allreduce_wait", "optimizer" })
            Assert.Equal(2, (await prometheus.QueryAsync($"orchestrator_training_step_duration_seconds_sum{{job_id=\"metrics-job\",phase=\"{phase}\"}} > 0")).Count);
        var hidden = await prometheus.QueryAsync("orchestrator_allreduce_hidden_ratio{job_id=\"metrics-job\"}");
        Assert.Equal(2, hidden.Count);
        Assert.All(hidden, h => Assert.InRange(h.Value, 0, 1));
        var allReduced = await prometheus.QueryAsync("orchestrator_allreduce_payload_bytes_total{job_id=\"metrics-job\"}");
        Assert.Equal(2, allReduced.Count);
        Assert.All(allReduced, b => Assert.Equal(0, b.Value % Steps));
        Assert.All(allReduced, b => Assert.True(b.Value > 0));
        Assert.Equal(2, (await prometheus.QueryAsync("orchestrator_allreduce_bus_bandwidth_bytes_per_second{job_id=\"metrics-job\"} > 0")).Count);
        Assert.Equal(2, (await prometheus.QueryAsync("orchestrator_training_mfu_ratio{job_id=\"metrics-job\"} > 0")).Count);
        Assert.Equal(3, (await prometheus.QueryAsync("orchestrator_process_native_memory_bytes > 0")).Count);

        // Rank 0 writes the checkpoints (steps 15 and 30): their count, and the size of the last one on disk.
        var checkpoints = Path.Combine(runDir, "checkpoints");
        var latestBytes = new DirectoryInfo(Path.Combine(checkpoints, File.ReadAllText(Path.Combine(checkpoints, "latest")).Trim()))
            .EnumerateFiles().Sum(f => f.Length);
        var size = await prometheus.WaitForAsync("orchestrator_checkpoint_size_bytes{job_id=\"metrics-job\"}",
            r => r.Count == 1 && r[0].Value == latestBytes, Patience, Context);
        Assert.Equal("0", size.Single().Labels["rank"]);
        var written = await prometheus.QueryAsync("orchestrator_checkpoint_duration_seconds_count{job_id=\"metrics-job\"}");
        Assert.Equal(2, written.Single().Value);
        Assert.Equal(3, (await prometheus.QueryAsync("up == 1")).Count);

        using var http = new HttpClient();
        foreach (var target in targets)
        {
            var url = $"http://{target}/metrics";
            await Promtool.AssertValidAsync(await http.GetStringAsync(url), url);
        }
    }
}
