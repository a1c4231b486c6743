using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;

namespace Orchestrator.Common.Security;

/// <summary>
/// Server side of mutual TLS for a Kestrel endpoint: HTTPS with this process's certificate, a client certificate
/// required of every connection and checked against the cluster CA alone (<see cref="MutualTlsCredentials.IsTrusted"/>).
/// A refused connection is logged with the remote endpoint and the reason, since TLS itself tells nobody why.
/// </summary>
public static class MutualTlsServer
{
    // Kestrel's validation callback is not told which connection it judges; the handshake runs on the connection's
    // own async flow, right after OnAuthenticate, so this carries the remote endpoint from one to the other.
    private static readonly AsyncLocal<string?> RemoteEndpoint = new();

    /// <param name="listen">The endpoint to secure; keep its protocols (HTTP/2 for gRPC): ALPN negotiates them.</param>
    /// <param name="credentials">Must outlive the server.</param>
    /// <param name="logger">Where refusals are logged.</param>
    /// <param name="server">What the server is called in those logs, e.g. "The collective service".</param>
    public static ListenOptions UseMutualTls(this ListenOptions listen, MutualTlsCredentials credentials, ILogger logger, string server)
    {
        ArgumentNullException.ThrowIfNull(listen);
        ArgumentNullException.ThrowIfNull(credentials);
        ArgumentNullException.ThrowIfNull(logger);
        listen.UseHttps(https =>
        {
            https.ServerCertificate = credentials.Certificate;
            // "Allow" so that a client without a certificate completes the handshake and reaches the check below, which
            // logs it; Kestrel would drop it silently. A certificate that is presented must pass the CA check right here.
            https.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
            https.CheckCertificateRevocation = false;
            https.OnAuthenticate = (connection, _) => RemoteEndpoint.Value = Describe(connection);
            https.ClientCertificateValidation = (certificate, chain, _) =>
            {
                if (credentials.IsTrusted(certificate, chain, out var reason)) return true;
                MutualTlsLog.RefusedClient(logger, server, RemoteEndpoint.Value ?? "an unknown address", reason);
                return false;
            };
        });
        listen.Use(next => connection =>
        {
            if (connection.Features.Get<ITlsConnectionFeature>()?.ClientCertificate is not null) return next(connection);
            MutualTlsLog.RefusedClient(logger, server, Describe(connection), "it presented no certificate");
            connection.Abort(new ConnectionAbortedException("mutual TLS requires a client certificate"));
            return Task.CompletedTask;
        });
        return listen;
    }

    private static string Describe(ConnectionContext connection) => connection.RemoteEndPoint?.ToString() ?? "an unknown address";
}
