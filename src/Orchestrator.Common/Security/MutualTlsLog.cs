using Microsoft.Extensions.Logging;

namespace Orchestrator.Common.Security;

/// <summary>The structured warnings of mutual TLS, in one wording for every server and client of the cluster.</summary>
public static partial class MutualTlsLog
{
    /// <summary>A server turned a connection away during the TLS handshake.</summary>
    [LoggerMessage(3, LogLevel.Warning, "{Server} refused a TLS connection from {RemoteEndpoint}: {Reason}")]
    public static partial void RefusedClient(ILogger logger, string server, string remoteEndpoint, string reason);

    /// <summary>A client would not talk to a server whose certificate the cluster CA did not sign.</summary>
    [LoggerMessage(4, LogLevel.Warning, "Refused to trust the server at {RemoteEndpoint}: {Reason}")]
    public static partial void RefusedServer(ILogger logger, string remoteEndpoint, string reason);
}
