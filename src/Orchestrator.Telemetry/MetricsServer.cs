using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Orchestrator.Telemetry;

/// <summary>
/// A small HTTP/1.1 host serving only <c>/metrics</c>, for code that has no web host of its own (tests, tools; the
/// worker serves its metrics from its own host). Its <see cref="Training"/> instruments are the ones the endpoint exports.
/// </summary>
public sealed class MetricsServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private MetricsServer(WebApplication app, Uri endpoint)
    {
        _app = app;
        Endpoint = endpoint;
        Training = app.Services.GetRequiredService<TrainingMetrics>();
    }

    /// <summary>The scrape URL, e.g. http://127.0.0.1:9400/metrics.</summary>
    public Uri Endpoint { get; }

    public TrainingMetrics Training { get; }

    /// <summary>Starts listening on <paramref name="port"/> (0 picks a free one) of <paramref name="bind"/>.</summary>
    public static async Task<MetricsServer> StartAsync(string role, int port, IPAddress bind, TelemetryOptions options,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, IPEndPoint.MaxPort);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"{TelemetryOptions.SectionName}:PeakFlops"] = options.PeakFlops?.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        });
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(bind, port, listen => listen.Protocols = HttpProtocols.Http1);
        });
        builder.AddOrchestratorTelemetry(role);
        var app = builder.Build();
        app.MapOrchestratorMetrics();
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.First()
            ?? throw new InvalidOperationException("Kestrel started without reporting its address; cannot tell where /metrics is served.");
        var bound = new Uri(address);
        var host = bind.Equals(IPAddress.Any) ? "127.0.0.1" : bound.Host;
        return new MetricsServer(app, new UriBuilder(Uri.UriSchemeHttp, host, bound.Port, TelemetryExtensions.MetricsPath).Uri);
    }

    public async ValueTask DisposeAsync()
    {
        using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(stopping.Token).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
