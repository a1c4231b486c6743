using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Orchestrator.Telemetry;

/// <summary>
/// The one telemetry setup every process calls (coordinator, worker, generation server), so their <c>/metrics</c>
/// look the same: OpenTelemetry meters exported in Prometheus text format, plus process memory gauges.
/// </summary>
public static class TelemetryExtensions
{
    /// <summary>Path of the Prometheus scrape endpoint on every process.</summary>
    public const string MetricsPath = "/metrics";

    private static readonly double[] CollectiveBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    /// <summary>
    /// Registers the meters of <see cref="OrchestratorMeters.All"/>, the Prometheus exporter, <see cref="TrainingMetrics"/>
    /// and process memory gauges. <paramref name="role"/> (coordinator, worker, server) becomes the <c>service.name</c>
    /// <c>orchestrator-ROLE</c>. Options come from <c>Orchestrator:Telemetry</c>.
    /// </summary>
    public static TBuilder AddOrchestratorTelemetry<TBuilder>(this TBuilder builder, string role) where TBuilder : IHostApplicationBuilder
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(role);
        var options = builder.Configuration.GetSection(TelemetryOptions.SectionName).Get<TelemetryOptions>() ?? new TelemetryOptions();
        options.Validate();
        builder.Services.TryAddSingleton(options);
        builder.Services.TryAddSingleton(services => new TrainingMetrics(options, services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()));
        builder.Services.AddHostedService<ProcessMemoryMetrics>();
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService($"orchestrator-{role}"))
            .WithMetrics(metrics => metrics
                .AddMeter([.. OrchestratorMeters.All])
                .AddView("orchestrator.collective.operation.duration", new ExplicitBucketHistogramConfiguration { Boundaries = CollectiveBuckets })
                // No scrape cache: every scrape shows the values of that moment, so a before/after pair of scrapes compares.
                .AddPrometheusExporter(exporter => exporter.ScrapeResponseCacheDurationMilliseconds = 0));
        return builder;
    }

    /// <summary>Serves the Prometheus text format at <see cref="MetricsPath"/>.</summary>
    public static IEndpointConventionBuilder MapOrchestratorMetrics(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapPrometheusScrapingEndpoint(MetricsPath);
}
