using Orchestrator.Cluster.Client;
using Orchestrator.Common.Networking;
using Orchestrator.Worker.Tests.Support;

namespace Orchestrator.Worker.Tests;

/// <summary>A worker whose coordinator is gone for longer than <c>--coordinator-loss-timeout</c> gives up with an error saying so.</summary>
public sealed class CoordinatorLossTests
{
    [Fact]
    public async Task Worker_gives_up_after_the_coordinator_loss_timeout_naming_the_coordinator_and_the_flag()
    {
        var coordinator = await InProcessCoordinator.StartAsync();
        var gateway = coordinator.Host.GatewayEndpoint;
        await using var worker = WorkerUnderTest.Start(coordinator.Host, "w-orphan",
            new Dictionary<string, string?> { [$"{WorkerOptions.SectionName}:CoordinatorLossTimeout"] = "00:00:02" });
        await Eventually.MatchesAsync(() => coordinator.Control.ListWorkersAsync(), workers => workers.Any(w => w.WorkerId == worker.Id && w.Alive),
            TimeSpan.FromMinutes(2), "the worker to register");

        await coordinator.Host.StopAsync();
        await coordinator.DisposeAsync();

        // How long Orleans takes to notice the silo is gone varies with load; only the outcome is asserted.
        var error = await Assert.ThrowsAsync<CoordinatorUnavailableException>(() => worker.Run.WaitAsync(TimeSpan.FromMinutes(3)));
        Assert.Contains($"worker 'w-orphan' lost the coordinator at {gateway}", error.Message);
        Assert.Contains("--coordinator-loss-timeout 2 s", error.Message);
    }

    [Fact]
    public async Task Worker_with_no_coordinator_at_its_gateway_fails_to_start_naming_the_gateway()
    {
        var gateway = $"127.0.0.1:{FreePorts.Take(1)[0]}";
        await using var host = Orchestrator.Worker.Hosting.WorkerHost.Create([], new Dictionary<string, string?>
        {
            [$"{WorkerOptions.SectionName}:Coordinator"] = gateway,
            [$"{WorkerOptions.SectionName}:WorkerId"] = "w-alone",
        });
        var error = await Assert.ThrowsAsync<CoordinatorUnavailableException>(() => host.RunAsync().WaitAsync(TimeSpan.FromMinutes(3)));
        Assert.Contains($"no coordinator answered at gateway {gateway}", error.Message);
    }
}
