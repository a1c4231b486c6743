using Orchestrator.Cluster.Grains.Abstractions;

namespace Orchestrator.Cluster.Tests.Support;

/// <summary>
/// Plays a worker process against the grains: registers, heartbeats every 200 ms (as a real worker would) and
/// unregisters on dispose so later tests cannot claim it.
/// </summary>
public sealed class TestWorker : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _heartbeats;

    private TestWorker(IGrainFactory grains, string id, string endpoint)
    {
        Id = id;
        Endpoint = endpoint;
        Grain = grains.GetWorker(id);
        _heartbeats = HeartbeatLoopAsync();
    }

    public string Id { get; }

    public string Endpoint { get; }

    public IWorkerGrain Grain { get; }

    public long Step { get; set; }

    public static async Task<TestWorker> StartAsync(IGrainFactory grains, string id, int port)
    {
        var endpoint = $"127.0.0.1:{port}";
        await grains.GetWorker(id).RegisterAsync(new WorkerInfo
        {
            Host = "test-host", GrpcEndpoint = endpoint, Device = "cpu", Threads = 2, Pid = 4000 + port % 1000,
        });
        return new TestWorker(grains, id, endpoint);
    }

    /// <summary>Simulates a hung or crashed process: the coordinator stops hearing from it.</summary>
    public async Task StopHeartbeatsAsync()
    {
        await _stop.CancelAsync();
        await _heartbeats;
    }

    public Task<WorkerDirective> WaitForAsync(WorkerDirectiveKind kind, string jobId, int attempt = 0) =>
        Eventually.MatchesAsync(
            Grain.GetAssignmentAsync,
            d => d.Kind == kind && d.JobId == jobId && (kind == WorkerDirectiveKind.Stop || d.Assignment?.Attempt == attempt),
            TimeSpan.FromSeconds(10),
            $"worker {Id} to get {kind} for {jobId} attempt {attempt}");

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopHeartbeatsAsync();
        }

        await Grain.UnregisterAsync();
        _stop.Dispose();
    }

    private async Task HeartbeatLoopAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                await Grain.HeartbeatAsync(Step);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Stopping the loop is the point of StopHeartbeatsAsync.
        }
    }
}
