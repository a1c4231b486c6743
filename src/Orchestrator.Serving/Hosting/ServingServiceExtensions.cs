using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orchestrator.Serving.Completions;
using Orchestrator.Serving.Engine;
using Orchestrator.Serving.Grpc;
using Orchestrator.Serving.Http;
using Orchestrator.Serving.Telemetry;

namespace Orchestrator.Serving.Hosting;

/// <summary>The server's services and endpoints, so <see cref="ServingHost"/> reads as a table of contents.</summary>
public static class ServingServiceExtensions
{
    /// <summary>Registers the served model, the decoding loop, the completion service, gRPC and metrics.</summary>
    public static IServiceCollection AddServing(this IServiceCollection services, ServedModel served, ServingOptions options)
    {
        services.AddSingleton(served);
        services.AddSingleton(options);
        services.AddServingTelemetry();
        services.AddSingleton(provider => new ContinuousBatcher(
            served.Model, served.Tokenizer, served.Device, options.MaxBatch, options.QueueCapacity,
            provider.GetRequiredService<ServingMetrics>(),
            provider.GetRequiredService<ILoggerFactory>().CreateLogger<ContinuousBatcher>()));
        services.AddSingleton<CompletionValidator>();
        services.AddSingleton<CompletionService>();
        services.AddGrpc();
        return services;
    }

    /// <summary>Maps the OpenAI-style API, gRPC, health, metrics and the playground.</summary>
    public static IEndpointRouteBuilder MapServing(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapCompletions();
        endpoints.MapGrpcService<InferenceService>();
        endpoints.MapHealth();
        endpoints.MapServingTelemetry();
        endpoints.MapPlayground();
        endpoints.MapUnknownRoutes();
        return endpoints;
    }
}
