using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orchestrator.Cluster.Grains.Abstractions;

namespace Orchestrator.Cluster.Client;

/// <summary>
/// An Orleans client connected to a coordinator's gateway, giving a worker process typed access to its grains.
/// The worker protocol, in order:
/// <list type="number">
/// <item><c>var me = connection.Worker(id); await me.RegisterAsync(info);</c> (the id stays the same across restarts).</item>
/// <item>About every second: <c>var d = await me.HeartbeatAsync(step);</c> and act on <c>d.Kind</c>.</item>
/// <item>Prepare: load data/model from <c>d.Assignment</c>, start the collective server, then
/// <c>await connection.Job(a.JobId).ConfirmReadyAsync(id, a.Attempt)</c>.</item>
/// <item>Run: train; report with <c>ReportProgressAsync</c> per log interval and <c>ReportCheckpointAsync</c> per saved
/// checkpoint (delete the files it returns); rank 0 ends with <c>ReportCompletedAsync</c>; any rank that cannot go on
/// calls <c>ReportFailureAsync</c>.</item>
/// <item>Stop (for the job being run) or a new (JobId, Attempt): abandon the current work and follow the new directive.</item>
/// <item>On shutdown: <c>await me.UnregisterAsync();</c> so no job claims the worker.</item>
/// </list>
/// </summary>
public sealed class CoordinatorConnection : IAsyncDisposable
{
    private readonly IHost? _host;

    private CoordinatorConnection(IHost host, string gateways)
        : this(host.Services.GetRequiredService<IClusterClient>(), gateways)
    {
        _host = host;
    }

    /// <summary>
    /// A view of a client that a host already runs (a worker adds it with
    /// <see cref="CoordinatorClientExtensions.AddCoordinatorClient"/>); disposing the view leaves the client to its host.
    /// </summary>
    public CoordinatorConnection(IClusterClient client, string gateways)
    {
        Client = client;
        Gateways = gateways;
    }

    /// <summary>The gateway list this connection was made with.</summary>
    public string Gateways { get; }

    /// <summary>The underlying Orleans client, for grains not covered by the helpers below.</summary>
    public IClusterClient Client { get; }

    public IWorkerGrain Worker(string workerId) => Client.GetWorker(workerId);

    public ITrainingJobGrain Job(string jobId) => Client.GetJob(jobId);

    public ICheckpointCatalogGrain Checkpoints(string jobId) => Client.GetCheckpointCatalog(jobId);

    public IWorkerRegistryGrain WorkerRegistry => Client.GetWorkerRegistry();

    /// <summary>Connects to "HOST:PORT[,HOST:PORT...]" with default cluster ids and a 30 s connect timeout.</summary>
    public static Task<CoordinatorConnection> ConnectAsync(string gateways, CancellationToken cancellationToken = default) =>
        ConnectAsync(new CoordinatorConnectionOptions { Gateways = gateways }, cancellationToken);

    /// <summary>
    /// Connects, retrying until <see cref="CoordinatorConnectionOptions.ConnectTimeout"/>; throws
    /// <see cref="CoordinatorUnavailableException"/> naming the gateways when no coordinator answered.
    /// </summary>
    public static async Task<CoordinatorConnection> ConnectAsync(CoordinatorConnectionOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        // Standard error: the worker's standard output is for results.
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(LogLevel.Warning);
        builder.AddCoordinatorClient(options);
        var host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            host.Dispose();
            throw Unavailable(options, ex);
        }

        return new CoordinatorConnection(host, options.Gateways);
    }

    /// <summary>What a client that could not connect throws: which gateways and cluster, and what to do.</summary>
    public static CoordinatorUnavailableException Unavailable(CoordinatorConnectionOptions options, Exception failure) => new(
        $"no coordinator answered at gateway {options.Gateways} (cluster '{options.ClusterId}') within {options.ConnectTimeout.TotalSeconds:F0} s: " +
        $"start `orchestrator coordinator` there or fix the address ({failure.Message})", failure);

    public async ValueTask DisposeAsync()
    {
        if (_host is null) return;
        await _host.StopAsync();
        _host.Dispose();
    }
}
