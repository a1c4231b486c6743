using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Orchestrator.Telemetry;

namespace Orchestrator.Serving.Telemetry;

/// <summary>
/// The server's instruments on top of the shared <see cref="TelemetryExtensions.AddOrchestratorTelemetry{TBuilder}"/>
/// (which exports the <see cref="ServingMetrics.MeterName"/> meter with every other one), scraped at <c>/metrics</c>.
/// </summary>
public static class ServingTelemetry
{
    public static IServiceCollection AddServingTelemetry(this IServiceCollection services)
    {
        services.AddMetrics();
        services.AddSingleton<ServingMetrics>();
        return services;
    }

    public static IEndpointRouteBuilder MapServingTelemetry(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapOrchestratorMetrics();
        return endpoints;
    }
}
