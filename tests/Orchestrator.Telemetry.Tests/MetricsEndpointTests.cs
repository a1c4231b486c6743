using System.Globalization;
using System.Net;
using Orchestrator.Telemetry.Tests.TestSupport;

namespace Orchestrator.Telemetry.Tests;

public sealed class MetricsEndpointTests
{
    private static readonly TrainingIdentity Rank1 = new("job-a", 1, "worker-b");

    [Fact]
    public async Task Recorded_interval_is_served_with_Prometheus_names_units_and_labels_and_passes_promtool()
    {
        await using var server = await MetricsServer.StartAsync("worker", 0, IPAddress.Loopback, new TelemetryOptions { PeakFlops = 1e12 });
        server.Training.RecordInterval(Rank1, new TrainingInterval
        {
            Step = 20, Steps = 10, Tokens = 6400, Samples = 100, SkippedSteps = 1, SecondsPerStep = 0.2,
            PhaseSecondsPerStep = new Dictionary<string, double> { ["forward_backward"] = 0.15 },
            Loss = 2.5, LearningRate = 3e-4, GradNorm = 0.75, JobTokensPerSecond = 64000, ValidationLoss = 2.75, FlopsPerToken = 1e6,
        });
        server.Training.RecordAllReduce(Rank1, 4_000_000, TimeSpan.FromMilliseconds(10), worldSize: 4);
        server.Training.RecordCheckpoint(Rank1, TimeSpan.FromSeconds(1.5), 123_456, DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));

        using var http = new HttpClient();
        var text = await http.GetStringAsync(server.Endpoint);
        await Promtool.AssertValidAsync(text, server.Endpoint.ToString());
        var series = Exposition.Parse(text);

        const string labels = "job_id=\"job-a\",rank=\"1\",worker=\"worker-b\"";
        Assert.Equal(6400, series.Value("orchestrator_training_tokens_total", labels));
        Assert.Equal(100, series.Value("orchestrator_training_samples_total", labels));
        Assert.Equal(10, series.Value("orchestrator_training_steps_total", labels));
        Assert.Equal(1, series.Value("orchestrator_training_skipped_steps_total", labels));
        Assert.Equal(10, series.Value("orchestrator_training_step_duration_seconds_count", labels + ",phase=\"total\""));
        Assert.Equal(2.0, series.Value("orchestrator_training_step_duration_seconds_sum", labels + ",phase=\"total\""), 9);
        Assert.Equal(1.5, series.Value("orchestrator_training_step_duration_seconds_sum", labels + ",phase=\"forward_backward\""), 9);
        Assert.Equal(2.5, series.Value("orchestrator_training_loss", labels));
        Assert.Equal(2.75, series.Value("orchestrator_validation_loss", labels));
        Assert.Equal(3e-4, series.Value("orchestrator_training_learning_rate", labels), 12);
        Assert.Equal(0.75, series.Value("orchestrator_training_gradient_norm", labels));
        // 6400 tokens in 10 steps of 0.2 s = 3200 tokens/s; × 1e6 FLOPs = 3.2e9 FLOP/s; over a 1e12 peak = 0.0032.
        Assert.Equal(3.2e9, series.Value("orchestrator_training_model_flops_per_second", labels), 1);
        Assert.Equal(0.0032, series.Value("orchestrator_training_mfu_ratio", labels), 12);
        Assert.Equal(4_000_000, series.Value("orchestrator_allreduce_payload_bytes_total", labels));
        // 4 MB in 10 ms = 400 MB/s algorithm bandwidth; × 2·3/4 = 600 MB/s bus bandwidth.
        Assert.Equal(6e8, series.Value("orchestrator_allreduce_bus_bandwidth_bytes_per_second", labels), 0);
        Assert.Equal(123_456, series.Value("orchestrator_checkpoint_size_bytes", labels));
        Assert.Equal(1_700_000_000, series.Value("orchestrator_checkpoint_last_timestamp_seconds", labels));
        Assert.True(series.Value("orchestrator_process_managed_memory_bytes", "") > 0);
        Assert.True(series.Value("orchestrator_process_resident_memory_bytes", "") > series.Value("orchestrator_process_managed_heap_bytes", ""));
    }

    [Fact]
    public async Task Gradient_bytes_and_compression_ratio_are_labelled_with_the_compression_in_force()
    {
        await using var server = await MetricsServer.StartAsync("worker", 0, IPAddress.Loopback, new TelemetryOptions());
        server.Training.RecordCompression(Rank1, "powersgd-r4", 1_250_000, 34.5);

        using var http = new HttpClient();
        var text = await http.GetStringAsync(server.Endpoint);
        await Promtool.AssertValidAsync(text, server.Endpoint.ToString());
        var series = Exposition.Parse(text);

        const string labels = "compression=\"powersgd-r4\",job_id=\"job-a\",rank=\"1\",worker=\"worker-b\"";
        Assert.Equal(1_250_000, series.Value("orchestrator_gradients_wire_bytes_per_step_bytes", labels));
        Assert.Equal(34.5, series.Value("orchestrator_gradients_compression_ratio", labels));
    }

    [Fact]
    public void Model_flops_follow_the_PaLM_accounting()
    {
        // GPT-2 small by hand: 6 · 124,439,808 + 12 · 12 layers · 768 wide · 1024 context = 746,638,848 + 113,246,208.
        Assert.Equal(859_885_056, ModelFlops.PerTokenTransformer(124_439_808, 12, 768, 1024));
        Assert.Equal(6_000, ModelFlops.PerTokenRecurrent(1_000));
        Assert.Equal(0.5, ModelFlops.Utilisation(1e6, 1e6, 2e12));
        Assert.Null(ModelFlops.Utilisation(1e6, 1e6, null));
    }
}
