using Orchestrator.Serving.Tests.TestSupport;
using Orchestrator.Training.Checkpoints;

namespace Orchestrator.Serving.Tests;

public sealed class HostingTests
{
    public static TheoryData<ServingOptions, string> BadOptions => new()
    {
        { new ServingOptions { CheckpointPath = "" }, "checkpoint path is empty" },
        { new ServingOptions { CheckpointPath = "x", Port = 70000 }, "port 70000 is out of range" },
        { new ServingOptions { CheckpointPath = "x", Port = 9000, GrpcPort = 9000 }, "HTTP and gRPC ports are both 9000" },
        { new ServingOptions { CheckpointPath = "x", Host = "localhost" }, "host 'localhost' is not an IP address" },
        { new ServingOptions { CheckpointPath = "x", Device = "tpu" }, "device 'tpu' is not recognised" },
        { new ServingOptions { CheckpointPath = "x", MaxBatch = 0 }, "max batch 0" },
        { new ServingOptions { CheckpointPath = "x", QueueCapacity = -1 }, "queue capacity -1" },
        { new ServingOptions { CheckpointPath = "x", Threads = -2 }, "threads -2" },
        { new ServingOptions { CheckpointPath = "x", MaxTokensLimit = 0 }, "max tokens limit 0" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public async Task Options_that_cannot_work_are_refused_naming_the_option(ServingOptions options, string phrase)
    {
        var error = await Assert.ThrowsAsync<InvalidServingOptionsException>(() => ServingHost.BuildAsync(options));
        Assert.Contains(phrase, error.Message);
    }

    [Fact]
    public async Task A_missing_checkpoint_is_reported_with_its_path()
    {
        var error = await Assert.ThrowsAsync<CheckpointNotFoundException>(() => ServingHost.BuildAsync(new ServingOptions { CheckpointPath = "/nonexistent/run" }));
        Assert.Contains("/nonexistent/run", error.Message);
    }

    [Fact]
    public void The_grpc_port_defaults_to_the_http_port_plus_one_or_a_free_port()
    {
        Assert.Equal(8001, new ServingOptions { CheckpointPath = "x", Port = 8000 }.EffectiveGrpcPort);
        Assert.Equal(0, new ServingOptions { CheckpointPath = "x", Port = 0 }.EffectiveGrpcPort);
        Assert.Equal(7000, new ServingOptions { CheckpointPath = "x", Port = 8000, GrpcPort = 7000 }.EffectiveGrpcPort);
    }

    [Fact]
    public async Task A_started_server_reports_the_ports_it_bound_and_stops_cleanly()
    {
        var host = await ServerFixture.StartAsync(new ServingOptions { CheckpointPath = TestCheckpoint.Directory, Port = 0, Threads = 1, ModelName = "named" });
        Assert.NotEqual(host.Url.Port, host.GrpcUrl.Port);
        Assert.Equal("127.0.0.1", host.Url.Host);
        using (var http = new HttpClient { BaseAddress = host.Url })
            Assert.Contains("\"id\":\"named\"", await http.GetStringAsync("/v1/models"));
        await host.DisposeAsync();
        using var after = new HttpClient { BaseAddress = host.Url };
        await Assert.ThrowsAsync<HttpRequestException>(() => after.GetStringAsync("/healthz"));
    }
}
