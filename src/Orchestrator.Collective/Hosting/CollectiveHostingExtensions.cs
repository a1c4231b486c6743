using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orchestrator.Collective.Telemetry;
using Orchestrator.Collective.Transport;

namespace Orchestrator.Collective.Hosting;

/// <summary>
/// Adds the collective layer to a worker's own ASP.NET Core host: <c>services.AddCollective()</c> then
/// <c>app.MapCollective()</c>. The host must listen with HTTP/2 (cleartext is fine on a private network).
/// </summary>
public static class CollectiveHostingExtensions
{
    /// <summary>
    /// Registers <see cref="CollectiveNode"/>, the peer gRPC service and its limits, and raises Kestrel's HTTP/2
    /// flow-control windows to <see cref="CollectiveOptions.Http2WindowBytes"/> (they apply to the whole host).
    /// Options are validated at start.
    /// </summary>
    public static IServiceCollection AddCollective(this IServiceCollection services, Action<CollectiveOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<CollectiveOptions>();
        if (configure is not null)
            options.Configure(configure);
        options.Validate(o =>
        {
            o.Validate();
            return true;
        }).ValidateOnStart();

        services.AddGrpc().AddServiceOptions<CollectivePeerService>(grpc =>
        {
            // This side streams chunks to the right neighbour and only receives small requests.
            grpc.MaxSendMessageSize = CollectiveOptions.MaxChunkBytes + CollectiveOptions.MessageOverheadBytes;
            grpc.MaxReceiveMessageSize = 1 << 20;
        });
        services.AddSingleton<IConfigureOptions<KestrelServerOptions>, RaiseHttp2Windows>();
        services.AddSingleton<CollectiveMetrics>();
        services.AddSingleton<CollectiveNode>();
        return services;
    }

    public static IEndpointConventionBuilder MapCollective(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        return endpoints.MapGrpcService<CollectivePeerService>();
    }

    private sealed class RaiseHttp2Windows(IOptions<CollectiveOptions> collective) : IConfigureOptions<KestrelServerOptions>
    {
        public void Configure(KestrelServerOptions options)
        {
            var window = collective.Value.Http2WindowBytes;
            var http2 = options.Limits.Http2;
            if (http2.InitialConnectionWindowSize < window)
                http2.InitialConnectionWindowSize = window;
            if (http2.InitialStreamWindowSize < window)
                http2.InitialStreamWindowSize = window;
        }
    }
}
