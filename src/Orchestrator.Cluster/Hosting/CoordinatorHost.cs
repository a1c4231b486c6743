using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Orchestrator.Cluster.Hosting;

/// <summary>
/// A coordinator process: Orleans silo + gRPC control API + <c>/healthz</c> + <c>/metrics</c>. The CLI runs it in the foreground
/// (<c>orchestrator coordinator</c> → <see cref="RunAsync"/>) or in-process next to a worker (embedded mode →
/// <see cref="StartAsync"/>/<see cref="StopAsync"/>). Configuration comes from the usual sources (appsettings,
/// environment <c>Orchestrator__Coordinator__...</c>, command-line <c>--Orchestrator:Coordinator:ControlPort=...</c>)
/// with <c>settings</c> applied last.
/// </summary>
public sealed class CoordinatorHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private CoordinatorHost(WebApplication app)
    {
        _app = app;
        Options = app.Services.GetRequiredService<IOptions<CoordinatorOptions>>().Value;
        UsesTls = app.Services.GetRequiredService<IOptions<SecurityOptions>>().Value.Tls.IsEnabled;
    }

    public CoordinatorOptions Options { get; }

    /// <summary>Whether the control API, silo and gateway require mutual TLS (<see cref="SecurityOptions.Tls"/>).</summary>
    public bool UsesTls { get; }

    /// <summary>What <c>ControlClient.Connect</c> takes, e.g. http://127.0.0.1:5050 (https with mutual TLS).</summary>
    public Uri ControlAddress => new($"{(UsesTls ? "https" : "http")}://{Display(Options.EndpointAddress)}:{Options.ControlPort}");

    /// <summary>Plain HTTP/1.1 health endpoint, e.g. http://127.0.0.1:5051/healthz.</summary>
    public Uri HealthAddress => new($"http://{Display(Options.EndpointAddress)}:{Options.HealthPort}/healthz");

    /// <summary>Where grain state lives, for the start-up line: "redis", "memory" or the state directory.</summary>
    public string StateLocation
    {
        get
        {
            if (_app.Services.GetRequiredService<IOptions<RedisOptions>>().Value.IsEnabled) return "redis";
            return Options.StateStore == Storage.GrainStateStore.Memory ? "memory" : Options.EffectiveStateDirectory;
        }
    }

    /// <summary>What workers pass to <c>CoordinatorConnection.ConnectAsync</c>, e.g. 127.0.0.1:30000.</summary>
    public string GatewayEndpoint => $"{Display(Options.EndpointAddress)}:{Options.GatewayPort}";

    /// <summary>
    /// Builds (does not start) a coordinator. Throws <see cref="OptionsValidationException"/> naming every bad
    /// configuration key. <paramref name="configureLogging"/> adds to the default logging (e.g. a test's capturing provider).
    /// </summary>
    public static CoordinatorHost Create(string[] args, IReadOnlyDictionary<string, string?>? settings = null,
        Action<ILoggingBuilder>? configureLogging = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        configureLogging?.Invoke(builder.Logging);

        builder.AddOrchestratorCoordinator();
        var app = builder.Build();
        app.MapOrchestratorCoordinator();
        return new CoordinatorHost(app);
    }

    /// <summary>Starts the silo and the endpoints; returns once the control API accepts calls.</summary>
    public Task StartAsync(CancellationToken cancellationToken = default) => _app.StartAsync(cancellationToken);

    /// <summary>Stops accepting calls and leaves the cluster gracefully.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default) => _app.StopAsync(cancellationToken);

    /// <summary>Runs until <paramref name="cancellationToken"/> fires or the process is asked to stop (Ctrl+C, SIGTERM).</summary>
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        await _app.StartAsync(cancellationToken);
        await _app.WaitForShutdownAsync(cancellationToken);
        await _app.StopAsync(CancellationToken.None);
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    private static string Display(System.Net.IPAddress address) =>
        address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
}
