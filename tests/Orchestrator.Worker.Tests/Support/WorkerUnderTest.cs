using Orchestrator.Cluster.Hosting;
using Orchestrator.Worker.Hosting;

namespace Orchestrator.Worker.Tests.Support;

/// <summary>
/// A real worker host (the one <c>orchestrator worker</c> runs) started in-process against a coordinator, configured
/// through the <c>Orchestrator:Worker</c> keys an operator would set, running until disposed.
/// </summary>
internal sealed class WorkerUnderTest : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();

    private WorkerUnderTest(WorkerHost host, string id)
    {
        Host = host;
        Id = id;
        Run = host.RunAsync(_stop.Token);
    }

    public WorkerHost Host { get; }

    public string Id { get; }

    /// <summary>The worker's whole life: completes when it stops, faults when it gives up.</summary>
    public Task Run { get; }

    /// <summary>Settings of a worker with one libtorch thread, a metrics port and quick heartbeats; <paramref name="extra"/> overrides them.</summary>
    public static Dictionary<string, string?> Settings(CoordinatorHost coordinator, string id, IReadOnlyDictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            [$"{WorkerOptions.SectionName}:Coordinator"] = coordinator.GatewayEndpoint,
            [$"{WorkerOptions.SectionName}:WorkerId"] = id,
            [$"{WorkerOptions.SectionName}:Threads"] = "1",
            [$"{WorkerOptions.SectionName}:MetricsPort"] = "0",
            [$"{WorkerOptions.SectionName}:HeartbeatInterval"] = "00:00:00.200",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>()) settings[key] = value;
        return settings;
    }

    public static WorkerUnderTest Start(CoordinatorHost coordinator, string id, IReadOnlyDictionary<string, string?>? extra = null) =>
        new(WorkerHost.Create([], Settings(coordinator, id, extra)), id);

    /// <summary>Asks the worker to stop as SIGTERM does and waits for it to unregister and close its ports.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Run.WaitAsync(TimeSpan.FromMinutes(2));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        // A test that expects the worker to fail awaits Run itself; here it only has to be over.
        await Task.WhenAny(Run, Task.Delay(TimeSpan.FromMinutes(2)));
        await Host.DisposeAsync();
        _stop.Dispose();
    }
}
