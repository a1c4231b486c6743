using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orchestrator.Cluster.Client;
using Orchestrator.Collective.Hosting;
using Orchestrator.Common.Hosting;
using Orchestrator.Common.Security;
using Orchestrator.Telemetry;

namespace Orchestrator.Worker.Hosting;

/// <summary>The worker's building blocks, so its host reads as: builder, Add..., Map..., Run (like the coordinator's).</summary>
public static class WorkerBuilderExtensions
{
    /// <summary>
    /// <see cref="WorkerOptions"/> from <c>Orchestrator:Worker</c> (validated now and at start), the collective gRPC
    /// service on its own HTTP/2 port (mutual TLS and the cluster token when set), the optional <c>/metrics</c> port,
    /// the shared telemetry, the Orleans client to the coordinator's gateway, and the <see cref="WorkerAgent"/>.
    /// </summary>
    public static WebApplicationBuilder AddOrchestratorWorker(this WebApplicationBuilder builder)
    {
        var worker = builder.AddValidatedOptions<WorkerOptions, WorkerOptionsValidator>(WorkerOptions.SectionName);
        // Peers on other machines dial the collective service, so it listens everywhere unless advertised on loopback.
        var bind = worker.AdvertisedHost is "127.0.0.1" or "localhost" ? IPAddress.Loopback : IPAddress.Any;
        var tls = worker.Tls is { IsEnabled: true } ? worker.Tls.Load() : null;
        // A factory registration, so the host disposes the certificate with itself.
        if (tls is not null) builder.Services.AddSingleton(_ => tls);
        var endpoints = new WorkerEndpoints(worker, usesTls: tls is not null);
        builder.Services.AddSingleton(endpoints);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(bind, worker.CollectivePort, listen =>
            {
                endpoints.CollectiveListener = listen;
                listen.Protocols = HttpProtocols.Http2;
                listen.LimitUnsentBytes();
                if (tls is not null)
                    listen.UseMutualTls(tls, listen.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger<CollectiveServer>(), "The collective service");
            });
            if (worker.MetricsPort is { } metricsPort)
            {
                kestrel.Listen(bind, metricsPort, listen =>
                {
                    endpoints.MetricsListener = listen;
                    listen.Protocols = HttpProtocols.Http1;
                });
            }
        });

        // The "Collective" section tunes the ring links (chunk size, channels per link, windows, timeouts); the token and
        // TLS come from the worker's own flags.
        builder.Services.AddCollective(builder.Configuration, collective =>
        {
            collective.ClusterToken = worker.ClusterToken;
            if (worker.Tls is not null) collective.Tls = worker.Tls;
        });
        if (worker.PeakFlops is { } peakFlops)
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                [$"{TelemetryOptions.SectionName}:{nameof(TelemetryOptions.PeakFlops)}"] = peakFlops.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
            });
        }

        builder.AddOrchestratorTelemetry("worker");
        builder.AddCoordinatorClient(new CoordinatorConnectionOptions { Gateways = worker.Coordinator, Tls = worker.Tls });
        builder.Services.AddSingleton<WorkerAgent>();
        return builder;
    }

    /// <summary>The collective gRPC service, and Prometheus <c>/metrics</c> when a metrics port is set.</summary>
    public static WebApplication MapOrchestratorWorker(this WebApplication app)
    {
        var worker = app.Services.GetRequiredService<IOptions<WorkerOptions>>().Value;
        app.MapCollective();
        if (worker.MetricsPort is not null) app.MapOrchestratorMetrics();
        return app;
    }
}
