using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orchestrator.Common.Security;
using Orleans.Configuration;
using Orleans.Connections.Security;

namespace Orchestrator.Cluster.Client;

/// <summary>
/// Mutual TLS for Orleans' own connections (silo to silo, and workers to the gateway), with the same rule as the
/// gRPC APIs: both sides present a certificate and accept the other's only if it chains to the cluster CA
/// (<see cref="MutualTlsCredentials.IsTrusted"/>). Built on Orleans.Connections.Security's connection middleware; a
/// refusal is logged with the remote endpoint and the reason (a connection without any certificate is dropped by
/// Orleans before the check, and logged by Orleans itself). The client side lives here, with the connection that
/// uses it; the silo side is the coordinator's <c>SiloMutualTls</c>.
/// </summary>
public static class OrleansMutualTls
{
    private static readonly AsyncLocal<string?> RemoteEndpoint = new();

    /// <summary>Secures a client's connections to the gateway (workers, through <c>CoordinatorConnection</c>).</summary>
    public static IClientBuilder UseMutualTls(this IClientBuilder client, MutualTlsCredentials credentials)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        return client.Configure<ClientConnectionOptions>(connections =>
            connections.ConfigureConnection(outbound => outbound.UseClientTls(Options(credentials, outbound, "An Orleans client"))));
    }

    /// <summary>
    /// The TLS settings of one Orleans connection acting as <paramref name="role"/> (named in refusals). The silo's
    /// side (<c>SiloMutualTls</c> in the coordinator) uses the same settings, so both ends apply one rule.
    /// </summary>
    public static TlsOptions Options(MutualTlsCredentials credentials, IConnectionBuilder connection, string role)
    {
        var logger = connection.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(OrleansMutualTls));
        return new TlsOptions
        {
            LocalCertificate = credentials.Certificate,
            RemoteCertificateMode = RemoteCertificateMode.RequireCertificate,
            ClientCertificateMode = RemoteCertificateMode.RequireCertificate,
            CheckCertificateRevocation = false,
            // Called on the connection's own flow just before its handshake, so the validation below can name the peer.
            OnAuthenticateAsServer = (context, _) => RemoteEndpoint.Value = context.RemoteEndPoint?.ToString(),
            OnAuthenticateAsClient = (context, _) => RemoteEndpoint.Value = context.RemoteEndPoint?.ToString(),
            RemoteCertificateValidation = (certificate, chain, _) =>
            {
                if (credentials.IsTrusted(certificate, chain, out var reason)) return true;
                MutualTlsLog.RefusedClient(logger, role, RemoteEndpoint.Value ?? "an unknown address", reason);
                return false;
            },
        };
    }
}
