using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace Orchestrator.Common.Security;

/// <summary>
/// Client side of mutual TLS for the cluster's gRPC channels: present this process's certificate, trust a server
/// only if its certificate chains to the cluster CA, and dial <c>https</c> whatever scheme an address was advertised with
/// (the configuration, not the address book, decides whether the cluster speaks TLS).
/// </summary>
public static class MutualTlsClient
{
    /// <summary>
    /// Sets <paramref name="handler"/>'s TLS options for a channel to <paramref name="endpoint"/>; <paramref name="logger"/>
    /// hears of a server refused. <paramref name="credentials"/> must outlive the handler.
    /// </summary>
    public static SocketsHttpHandler UseMutualTls(this SocketsHttpHandler handler, MutualTlsCredentials credentials, ILogger logger, Uri endpoint)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(credentials);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(endpoint);
        handler.SslOptions = new SslClientAuthenticationOptions
        {
            ClientCertificates = new X509CertificateCollection { credentials.Certificate },
            // Always ours: the server's list of acceptable issuers (often empty) must not make the client send none.
            LocalCertificateSelectionCallback = (_, _, _, _, _) => credentials.Certificate,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
            {
                if (credentials.IsTrusted(certificate, chain, out var reason)) return true;
                MutualTlsLog.RefusedServer(logger, endpoint.Authority, reason);
                return false;
            },
        };
        return handler;
    }

    /// <summary><paramref name="endpoint"/> with the https scheme (same host and port).</summary>
    public static Uri Secure(Uri endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return endpoint.Scheme == Uri.UriSchemeHttps ? endpoint : new UriBuilder(endpoint) { Scheme = Uri.UriSchemeHttps, Port = endpoint.Port }.Uri;
    }
}
