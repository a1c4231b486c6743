using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Orchestrator.Worker.Hosting;

/// <summary>
/// The ports a worker listens on, known once its host has started (port 0 picks a free one): the collective gRPC
/// service its ring neighbours dial, and the optional Prometheus endpoint.
/// </summary>
public sealed class WorkerEndpoints(WorkerOptions options, bool usesTls)
{
    internal ListenOptions? CollectiveListener { get; set; }

    internal ListenOptions? MetricsListener { get; set; }

    /// <summary>Where peers reach this worker's collective service: the advertised host and the bound port (https with mutual TLS).</summary>
    public Uri Collective => new UriBuilder(usesTls ? Uri.UriSchemeHttps : Uri.UriSchemeHttp, options.AdvertisedHost, BoundPort(CollectiveListener, "collective")).Uri;

    /// <summary>The scrape URL on this machine, e.g. http://127.0.0.1:9400/metrics; null when <see cref="WorkerOptions.MetricsPort"/> is not set.</summary>
    public Uri? Metrics => MetricsListener is null
        ? null
        : new UriBuilder(Uri.UriSchemeHttp, IPAddress.Loopback.ToString(), BoundPort(MetricsListener, "metrics"), Orchestrator.Telemetry.TelemetryExtensions.MetricsPath).Uri;

    // Kestrel writes the bound end point (the real port when 0 was asked for) back into the listen options.
    private static int BoundPort(ListenOptions? listener, string what) => listener?.IPEndPoint is { Port: > 0 } bound
        ? bound.Port
        : throw new InvalidOperationException($"the worker's {what} port is not bound yet: start the worker's host first");
}
