using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;

namespace Orchestrator.Serving.Telemetry;

/// <summary>Metrics through OpenTelemetry, scraped by Prometheus at <c>/metrics</c>.</summary>
public static class ServingTelemetry
{
    public static IServiceCollection AddServingTelemetry(this IServiceCollection services)
    {
        services.AddMetrics();
        services.AddSingleton<ServingMetrics>();
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(ServingMetrics.MeterName)
            .AddPrometheusExporter(exporter => exporter.ScrapeResponseCacheDurationMilliseconds = 0));
        return services;
    }

    public static IEndpointRouteBuilder MapServingTelemetry(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPrometheusScrapingEndpoint("/metrics");
        return endpoints;
    }
}
