using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orchestrator.Cluster.Client;
using Orchestrator.Collective;

namespace Orchestrator.Worker.Hosting;

/// <summary>
/// A worker process: the collective gRPC service, the optional <c>/metrics</c> endpoint and the Orleans client in one
/// host, and the <see cref="WorkerAgent"/> that registers, heartbeats and trains. The CLI runs it in the foreground
/// (<c>orchestrator worker</c> → <see cref="RunAsync"/>); tests run it in-process. Configuration comes from the usual
/// sources (appsettings, environment <c>Orchestrator__Worker__...</c>) with <c>settings</c> (the CLI's flags) applied last.
/// </summary>
public sealed class WorkerHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private WorkerHost(WebApplication app)
    {
        _app = app;
        Options = app.Services.GetRequiredService<IOptions<WorkerOptions>>().Value;
        Endpoints = app.Services.GetRequiredService<WorkerEndpoints>();
    }

    public WorkerOptions Options { get; }

    /// <summary>The ring links' settings this worker runs with (the "Collective" section); reading them validates them.</summary>
    public CollectiveOptions Collective => _app.Services.GetRequiredService<IOptions<CollectiveOptions>>().Value;

    /// <summary>The bound ports, once started.</summary>
    public WorkerEndpoints Endpoints { get; }

    /// <summary>
    /// Builds (does not start) a worker. Throws <see cref="OptionsValidationException"/> naming every bad flag and
    /// configuration key. <paramref name="configureLogging"/> adds to the default logging (e.g. a test's capturing provider).
    /// </summary>
    public static WorkerHost Create(string[] args, IReadOnlyDictionary<string, string?>? settings = null, Action<ILoggingBuilder>? configureLogging = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        if (settings is not null) builder.Configuration.AddInMemoryCollection(settings);
        configureLogging?.Invoke(builder.Logging);
        builder.AddOrchestratorWorker();
        var app = builder.Build();
        app.MapOrchestratorWorker();
        return new WorkerHost(app);
    }

    /// <summary>
    /// Starts listening and connects to the coordinator's gateway; throws <see cref="CoordinatorUnavailableException"/>
    /// when no gateway answered within the connect timeout.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await _app.StartAsync(cancellationToken);
        }
        catch (OrleansException e)
        {
            throw CoordinatorConnection.Unavailable(new CoordinatorConnectionOptions { Gateways = Options.Coordinator }, e);
        }
    }

    /// <summary>
    /// Starts, then registers and follows the coordinator's directives until <paramref name="cancellationToken"/> fires
    /// (Ctrl+C, SIGTERM), the host is asked to stop, or an <c>--exit-after-job</c> worker's job ends; then unregisters and
    /// stops. Throws <see cref="CoordinatorUnavailableException"/> when the coordinator stayed silent past the loss timeout.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        await StartAsync(cancellationToken);
        try
        {
            var lifetime = _app.Services.GetRequiredService<IHostApplicationLifetime>();
            using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
            await _app.Services.GetRequiredService<WorkerAgent>().RunAsync(stopping.Token);
        }
        finally
        {
            await StopAsync();
        }
    }

    /// <summary>Stops listening and disconnects from the coordinator.</summary>
    public Task StopAsync() => _app.StopAsync(CancellationToken.None);

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
