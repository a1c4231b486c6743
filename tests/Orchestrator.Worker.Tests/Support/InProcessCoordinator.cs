using Orchestrator.Cluster.Control;
using Orchestrator.Cluster.Hosting;

namespace Orchestrator.Worker.Tests.Support;

/// <summary>
/// A real coordinator (silo, grains, control API) in this process on free ports, in-memory state, under the cluster
/// id a worker connects with by default.
/// </summary>
internal sealed class InProcessCoordinator : IAsyncDisposable
{
    private InProcessCoordinator(CoordinatorHost host)
    {
        Host = host;
        Control = ControlClient.Connect(host.ControlAddress.ToString());
    }

    public CoordinatorHost Host { get; }

    /// <summary>The control API as <c>orchestrator submit/status</c> use it.</summary>
    public ControlClient Control { get; }

    public static async Task<InProcessCoordinator> StartAsync()
    {
        var host = CoordinatorHost.Create([], CoordinatorSettings.OnFreePorts("orchestrator"));
        await host.StartAsync();
        return new InProcessCoordinator(host);
    }

    public async ValueTask DisposeAsync()
    {
        Control.Dispose();
        await Host.DisposeAsync();
    }
}
