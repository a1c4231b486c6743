using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orchestrator.Cluster.Control;
using Orchestrator.Cluster.Grains.Abstractions;
using Orchestrator.Common.Hosting;
using Orchestrator.Common.Security;
using Orchestrator.Telemetry;
using Orleans.Configuration;
using StackExchange.Redis;

namespace Orchestrator.Cluster.Hosting;

/// <summary>The coordinator's building blocks, so its Program reads as: builder, Add..., Map..., Run.</summary>
public static class CoordinatorBuilderExtensions
{
    /// <summary>
    /// Options (validated now and at start), Kestrel endpoints, the Orleans silo with its clustering and storage (both
    /// the control port and the silo behind mutual TLS when <see cref="SecurityOptions.Tls"/> is set),
    /// the gRPC control API, the health check and the shared telemetry with the job and worker gauges.
    /// </summary>
    public static WebApplicationBuilder AddOrchestratorCoordinator(this WebApplicationBuilder builder)
    {
        var coordinator = builder.AddValidatedOptions<CoordinatorOptions, CoordinatorOptionsValidator>(CoordinatorOptions.SectionName);
        var redis = builder.AddValidatedOptions<RedisOptions, RedisOptionsValidator>(RedisOptions.SectionName);
        var security = builder.AddValidatedOptions<SecurityOptions, SecurityOptionsValidator>(SecurityOptions.SectionName);
        var tls = security.Tls.IsEnabled ? security.Tls.Load() : null;
        // A factory registration, so the host disposes the certificate with itself.
        if (tls is not null) builder.Services.AddSingleton(_ => tls);

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(coordinator.BindAddress, coordinator.ControlPort, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                if (tls is not null)
                    listen.UseMutualTls(tls, listen.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger<ControlService>(),
                        "The coordinator's control API");
            });
            kestrel.Listen(coordinator.BindAddress, coordinator.HealthPort, listen => listen.Protocols = HttpProtocols.Http1);
        });

        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(cluster =>
            {
                cluster.ClusterId = coordinator.ClusterId;
                cluster.ServiceId = coordinator.ServiceId;
            });
            silo.ConfigureEndpoints(coordinator.EndpointAddress, coordinator.SiloPort, coordinator.GatewayPort,
                listenOnAnyHostAddress: coordinator.AdvertisedAddress is not null);
            if (redis.IsEnabled)
            {
                silo.UseRedisClustering(clustering => clustering.ConfigurationOptions = ConfigurationOptions.Parse(redis.ConnectionString!));
            }
            else
            {
                silo.UseDevelopmentClustering(new System.Net.IPEndPoint(coordinator.EndpointAddress, coordinator.SiloPort));
            }

            if (tls is not null) silo.UseMutualTls(tls);
            silo.AddOrchestratorGrains();
            silo.AddOrchestratorStorage(redis, coordinator);
        });

        builder.Services.AddGrpc(grpc =>
        {
            // First, so an unauthenticated call reaches nothing else.
            if (security.IsEnabled) grpc.Interceptors.Add<ClusterTokenInterceptor>(security.ClusterToken!);
            grpc.Interceptors.Add<ControlErrorInterceptor>();
        });
        builder.Services.AddHealthChecks().AddCheck<ClusterHealthCheck>("cluster");
        builder.AddOrchestratorTelemetry("coordinator");
        builder.Services.AddSingleton(services => new ClusterMetrics(Enum.GetNames<JobState>(), services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()));
        builder.Services.AddHostedService<ClusterMetricsCollector>();
        return builder;
    }

    /// <summary>
    /// The control API on the HTTP/2 port; <c>/healthz</c> and Prometheus <c>/metrics</c> on both ports. Warns when the
    /// control API runs without a cluster token.
    /// </summary>
    public static WebApplication MapOrchestratorCoordinator(this WebApplication app)
    {
        if (!app.Services.GetRequiredService<IOptions<SecurityOptions>>().Value.IsEnabled)
            ClusterTokenLog.Unauthenticated(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ControlService)),
                "The coordinator's control API", "--cluster-token");
        app.MapGrpcService<ControlService>();
        app.MapHealthChecks("/healthz");
        app.MapOrchestratorMetrics();
        return app;
    }
}
