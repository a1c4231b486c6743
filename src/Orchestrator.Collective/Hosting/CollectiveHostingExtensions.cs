using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Grpc.AspNetCore.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orchestrator.Common.Security;
using Orchestrator.Collective.Telemetry;
using Orchestrator.Collective.Transport;

namespace Orchestrator.Collective.Hosting;

/// <summary>
/// Adds the collective layer to a worker's own ASP.NET Core host: <c>services.AddCollective()</c> then
/// <c>app.MapCollective()</c>. The host must listen with HTTP/2 (cleartext is fine on a private network); with
/// <see cref="CollectiveOptions.Tls"/> set, secure its endpoint with <see cref="MutualTlsServer.UseMutualTls"/> too
/// (the peer channels then dial https on their own).
/// </summary>
public static class CollectiveHostingExtensions
{
    /// <summary>
    /// Registers <see cref="CollectiveNode"/> and the peer gRPC service with message limits sized for chunks, and
    /// with <see cref="ClusterTokenInterceptor"/> when <see cref="CollectiveOptions.ClusterToken"/> is set.
    /// Options are validated at start. Nothing else about the host's Kestrel is changed: the ring's bulk data flows
    /// from this server to the neighbour's client, whose receive window the library sets itself.
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
        services.AddOptions<GrpcServiceOptions<CollectivePeerService>>().Configure<IOptions<CollectiveOptions>>((grpc, collective) =>
        {
            if (ClusterToken.IsSet(collective.Value.ClusterToken))
                grpc.Interceptors.Add<ClusterTokenInterceptor>(collective.Value.ClusterToken!);
        });
        services.AddSingleton<CollectiveMetrics>();
        services.AddSingleton<CollectiveNode>();
        return services;
    }

    /// <summary>Same as <see cref="AddCollective(IServiceCollection, Action{CollectiveOptions}?)"/>, with options bound from
    /// the "Collective" section of <paramref name="configuration"/> (e.g. Collective__ChannelsPerLink=2) and then
    /// <paramref name="configure"/> applied (a host's own flags, such as its token, win over the section).</summary>
    public static IServiceCollection AddCollective(this IServiceCollection services, IConfiguration configuration,
        Action<CollectiveOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<CollectiveOptions>().Bind(configuration.GetSection(CollectiveOptions.SectionName));
        return services.AddCollective(configure);
    }

    public static IEndpointConventionBuilder MapCollective(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        return endpoints.MapGrpcService<CollectivePeerService>();
    }
}
