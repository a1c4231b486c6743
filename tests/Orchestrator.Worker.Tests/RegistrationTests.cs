using Orchestrator.Worker.Tests.Support;

namespace Orchestrator.Worker.Tests;

/// <summary>A worker joins a coordinator: it registers what peers and operators need, serves its metrics, and leaves when stopped.</summary>
public sealed class RegistrationTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Worker_registers_its_collective_endpoint_serves_metrics_and_unregisters_when_stopped()
    {
        await using var coordinator = await InProcessCoordinator.StartAsync();
        await using var worker = WorkerUnderTest.Start(coordinator.Host, "w-register");

        var registered = await Eventually.MatchesAsync(() => coordinator.Control.ListWorkersAsync(),
            workers => workers.Any(w => w.WorkerId == worker.Id && w.Alive), Patience, "the worker to register");
        var status = registered.Single(w => w.WorkerId == worker.Id);
        var collective = worker.Host.Endpoints.Collective;
        Assert.Equal(collective.ToString().TrimEnd('/'), status.Info!.GrpcEndpoint);
        Assert.NotEqual(0, collective.Port);
        Assert.Equal(("127.0.0.1", "cpu", 1, Environment.ProcessId), (status.Info.Host, status.Info.Device, status.Info.Threads, status.Info.Pid));
        Assert.Null(status.JobId);

        using var http = new HttpClient();
        var metrics = await http.GetStringAsync(worker.Host.Endpoints.Metrics);
        Assert.Contains("orchestrator_process_resident_memory_bytes", metrics);

        await worker.StopAsync();
        await Eventually.MatchesAsync(() => coordinator.Control.ListWorkersAsync(),
            workers => !workers.Any(w => w.WorkerId == worker.Id && w.Alive), Patience, "the stopped worker to leave the registry");
    }

    [Fact]
    public async Task Worker_left_at_zero_threads_registers_with_every_core_of_its_machine()
    {
        await using var coordinator = await InProcessCoordinator.StartAsync();
        await using var worker = WorkerUnderTest.Start(coordinator.Host, "w-all-cores",
            new Dictionary<string, string?> { [$"{WorkerOptions.SectionName}:Threads"] = "0" });

        var registered = await Eventually.MatchesAsync(() => coordinator.Control.ListWorkersAsync(),
            workers => workers.Any(w => w.WorkerId == worker.Id && w.Alive), Patience, "the worker to register");
        Assert.Equal(Environment.ProcessorCount, registered.Single(w => w.WorkerId == worker.Id).Info!.Threads);
        Assert.False(worker.Run.IsCompleted, "the worker keeps running once registered");
    }
}
