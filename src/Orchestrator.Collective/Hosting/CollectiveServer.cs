using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orchestrator.Common.Security;

namespace Orchestrator.Collective.Hosting;

/// <summary>
/// A self-contained collective endpoint for processes that host nothing else (benchmarks, tests, a worker without
/// its own web host): Kestrel with HTTP/2 on one port (cleartext, or mutual TLS when <see cref="CollectiveOptions.Tls"/>
/// is set), the peer service, and a <see cref="CollectiveNode"/>. Port 0 picks a free port; <see cref="Endpoint"/> says
/// which one was bound.
/// </summary>
public sealed class CollectiveServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly MutualTlsCredentials? _tls;
    private int _disposed;

    private CollectiveServer(WebApplication app, Uri endpoint, MutualTlsCredentials? tls)
    {
        _app = app;
        _tls = tls;
        Endpoint = endpoint;
        Node = app.Services.GetRequiredService<CollectiveNode>();
    }

    /// <summary>The address peers dial: http://address:port as bound (https with mutual TLS).</summary>
    public Uri Endpoint { get; }

    public CollectiveNode Node { get; }

    /// <summary>
    /// Starts listening on <paramref name="address"/> (loopback when null; use the machine's LAN address, or
    /// <see cref="IPAddress.Any"/> and advertise the LAN address yourself, for multi-machine rings) and
    /// <paramref name="port"/> (0 = any free port).
    /// </summary>
    public static async Task<CollectiveServer> StartAsync(int port, IPAddress? address = null, Action<CollectiveOptions>? configure = null,
        Action<ILoggingBuilder>? configureLogging = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, IPEndPoint.MaxPort);
        var bind = address ?? IPAddress.Loopback;
        var collective = new CollectiveOptions();
        configure?.Invoke(collective);
        collective.Validate();
        var tls = collective.Tls.IsEnabled ? collective.Tls.Load() : null;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (configureLogging is null)
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true).AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(LogLevel.Warning);
        else
            configureLogging(builder.Logging);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(bind, port, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                listen.LimitUnsentBytes();
                if (tls is not null)
                    listen.UseMutualTls(tls, listen.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger<CollectiveServer>(), "The collective service");
            });
        });
        builder.Services.AddCollective(configure);
        var app = builder.Build();
        app.MapCollective();
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            tls?.Dispose();
            throw;
        }

        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses
            ?? throw new InvalidOperationException("Kestrel started without reporting its addresses; cannot tell peers where to connect.");
        var bound = new Uri(addresses.First());
        var host = bind.Equals(IPAddress.Loopback) ? "127.0.0.1" : bound.Host;
        var scheme = tls is null ? Uri.UriSchemeHttp : Uri.UriSchemeHttps;
        return new CollectiveServer(app, new UriBuilder(scheme, host, bound.Port).Uri, tls);
    }

    /// <summary>Leaves every group (their neighbours see this rank go) and stops listening.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
            return;
        await Node.DisposeAsync().ConfigureAwait(false);
        using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(stopping.Token).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _tls?.Dispose();
    }
}
