using System.Net;
using Microsoft.Extensions.Options;
using Orchestrator.Cluster.Client;
using Orchestrator.Cluster.Control;
using Orchestrator.Cluster.Grains.Abstractions;
using Orchestrator.Cluster.Hosting;
using Orchestrator.Cluster.Tests.Support;

namespace Orchestrator.Cluster.Tests.Hosting;

public sealed class CoordinatorHostTests
{
    [Fact]
    public async Task Control_api_over_real_grpc_submits_watches_and_cancels_a_job_formed_from_a_worker_on_the_gateway()
    {
        var clusterId = $"host-{Guid.NewGuid():N}";
        await using var host = CoordinatorHost.Create([], CoordinatorSettings.OnFreePorts(clusterId));
        await host.StartAsync();

        using var http = new HttpClient();
        var health = await http.GetAsync(host.HealthAddress);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("Healthy", await health.Content.ReadAsStringAsync());

        await using var connection = await CoordinatorConnection.ConnectAsync(
            new CoordinatorConnectionOptions { Gateways = host.GatewayEndpoint, ClusterId = clusterId, ConnectTimeout = TimeSpan.FromSeconds(20) });
        var me = connection.Worker("gw-worker-0");
        await me.RegisterAsync(new WorkerInfo { Host = "box", GrpcEndpoint = "127.0.0.1:7600", Device = "cpu", Threads = 2, Pid = 1234 });

        using var control = ControlClient.Connect(host.ControlAddress.ToString());
        var worker = Assert.Single(await control.ListWorkersAsync());
        Assert.Equal(("gw-worker-0", "127.0.0.1:7600", 1234, true, (string?)null), (worker.WorkerId, worker.Info!.GrpcEndpoint, worker.Info.Pid, worker.Alive, worker.JobId));

        var submitted = await control.SubmitAsync(new JobSpec
        {
            DataDir = "/data/tiny", RunDir = "/runs/tiny", ConfigJson = """{"n_embd":64}""", WorldSize = 1,
        });
        var jobId = submitted.JobId;
        Assert.StartsWith("job-", jobId);
        Assert.Equal(JobState.Forming, submitted.State);
        Assert.Equal("gw-worker-0", Assert.Single(submitted.Members).WorkerId);

        var sawSnapshot = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sawRunning = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var watched = Task.Run(async () =>
        {
            var states = new List<JobState>();
            await foreach (var update in control.WatchAsync(jobId))
            {
                states.Add(update.State);
                sawSnapshot.TrySetResult();
                if (update.State == JobState.Running)
                {
                    sawRunning.TrySetResult();
                }
            }

            return states;
        });

        await sawSnapshot.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var directive = await me.HeartbeatAsync(0);
        Assert.Equal(WorkerDirectiveKind.Prepare, directive.Kind);
        Assert.Equal("""{"n_embd":64}""", directive.Assignment!.ConfigJson);
        var job = connection.Job(jobId);
        Assert.Equal(JobState.Running, await job.ConfirmReadyAsync("gw-worker-0", directive.Assignment.Attempt));
        await job.ReportProgressAsync("gw-worker-0", new ProgressReport { Step = 5, Loss = 3.25, TokensPerSecond = 640 });
        await sawRunning.Task.WaitAsync(TimeSpan.FromSeconds(10));

        var running = await control.GetJobAsync(jobId);
        Assert.Equal((JobState.Running, 5L, 3.25, 640.0), (running.State, running.Step, running.LastLoss, running.TokensPerSecond));
        Assert.Contains(await control.ListJobsAsync(), j => j.JobId == jobId);

        var cancelled = await control.CancelAsync(jobId, "test done");
        Assert.Equal(JobState.Cancelled, cancelled.State);
        var states = await watched.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal([JobState.Forming, JobState.Running, JobState.Cancelled], states.Distinct());
        Assert.Equal(WorkerDirectiveKind.Stop, (await me.HeartbeatAsync(5)).Kind);

        await Assert.ThrowsAsync<JobNotFoundException>(() => control.GetJobAsync("no-such-job"));
        var again = await Assert.ThrowsAsync<IllegalJobTransitionException>(() => control.CancelAsync(jobId, "again"));
        Assert.Contains("from Cancelled to Cancelled", again.Message);
        var invalid = await Assert.ThrowsAsync<InvalidJobSpecException>(
            () => control.SubmitAsync(new JobSpec { JobId = "bad", DataDir = "/d", RunDir = "/r", WorldSize = 0 }));
        Assert.Equal(nameof(JobSpec.WorldSize), invalid.Field);
        await Assert.ThrowsAsync<JobAlreadyExistsException>(() => control.SubmitAsync(submitted.Spec));
    }

    [Fact]
    public async Task Control_client_reports_an_unreachable_coordinator_as_unavailable()
    {
        var port = FreePorts.Take(1)[0];
        using var control = ControlClient.Connect($"127.0.0.1:{port}");
        var error = await Assert.ThrowsAsync<CoordinatorUnavailableException>(() => control.ListJobsAsync());
        Assert.Contains($"127.0.0.1:{port}", error.Message);
    }

    [Fact]
    public async Task Worker_connection_gives_up_after_its_connect_timeout_when_no_gateway_answers()
    {
        var port = FreePorts.Take(1)[0];
        var error = await Assert.ThrowsAsync<CoordinatorUnavailableException>(() => CoordinatorConnection.ConnectAsync(
            new CoordinatorConnectionOptions { Gateways = $"127.0.0.1:{port}", ConnectTimeout = TimeSpan.FromSeconds(1) }));
        Assert.Contains($"127.0.0.1:{port}", error.Message);
    }

    [Theory]
    [InlineData("Orchestrator:Coordinator:ControlPort", "0", "Orchestrator:Coordinator:ControlPort is 0")]
    [InlineData("Orchestrator:Coordinator:AdvertisedAddress", "coordinator.local", "AdvertisedAddress 'coordinator.local' is not an IP address")]
    [InlineData("Orchestrator:Redis:ConnectionString", "host:6379,bogus-option=1", "Orchestrator:Redis:ConnectionString 'host:6379,bogus-option=1' is malformed")]
    public void Bad_configuration_is_refused_at_start_naming_the_key(string key, string value, string message)
    {
        var settings = CoordinatorSettings.OnFreePorts("bad-config");
        settings[key] = value;
        var error = Assert.Throws<OptionsValidationException>(() => CoordinatorHost.Create([], settings));
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void Two_coordinator_ports_set_to_the_same_number_are_refused()
    {
        var settings = CoordinatorSettings.OnFreePorts("clash");
        settings["Orchestrator:Coordinator:HealthPort"] = settings["Orchestrator:Coordinator:ControlPort"];
        var error = Assert.Throws<OptionsValidationException>(() => CoordinatorHost.Create([], settings));
        Assert.Contains("ControlPort and HealthPort share port", error.Message);
    }
}
