using Orchestrator.Cluster.Client;
using Orchestrator.Common.Security;
using Orleans.Configuration;
using Orleans.Connections.Security;
using Orleans.Hosting;

namespace Orchestrator.Cluster.Hosting;

/// <summary>The silo's side of <see cref="OrleansMutualTls"/>: the same rule on every connection the coordinator accepts or opens.</summary>
public static class SiloMutualTls
{
    /// <summary>Secures the silo port and the gateway port, and the silo's connections to other silos.</summary>
    public static ISiloBuilder UseMutualTls(this ISiloBuilder silo, MutualTlsCredentials credentials)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        return silo.Configure<SiloConnectionOptions>(connections =>
        {
            connections.ConfigureSiloInboundConnection(inbound => inbound.UseServerTls(OrleansMutualTls.Options(credentials, inbound, "The silo port")));
            connections.ConfigureGatewayInboundConnection(inbound => inbound.UseServerTls(OrleansMutualTls.Options(credentials, inbound, "The Orleans gateway")));
            connections.ConfigureSiloOutboundConnection(outbound => outbound.UseClientTls(OrleansMutualTls.Options(credentials, outbound, "A silo")));
        });
    }
}
