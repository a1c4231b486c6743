using System.Net;
using System.Net.Http;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Orchestrator.Common.Security;

namespace Orchestrator.Collective.Transport;

/// <summary>
/// Builds the HTTP/2 gRPC channel to a ring neighbour (cleartext, or mutual TLS when <see cref="CollectiveOptions.Tls"/>
/// is set): one connection, keep-alive pings so a vanished peer breaks the link even when no operation is running,
/// no retries (a collective cannot be replayed), and the cluster token on every call when one is configured.
/// </summary>
internal static class PeerChannel
{
    public static GrpcChannel Create(Uri endpoint, CollectiveOptions options, ILoggerFactory loggerFactory)
    {
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = false,
            // The ring's data arrives on this side, so this window is the one that paces the neighbour's sending.
            InitialHttp2StreamWindowSize = options.Http2WindowBytes,
            KeepAlivePingDelay = TimeSpan.FromSeconds(15),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(20),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = false,
        };
        // Loaded per channel, so a rotated certificate is used from the next ring the worker joins.
        if (options.Tls.IsEnabled)
        {
            handler.UseMutualTls(options.Tls.Load(), loggerFactory.CreateLogger(typeof(PeerChannel)), endpoint);
            endpoint = MutualTlsClient.Secure(endpoint);
        }

        return GrpcChannel.ForAddress(endpoint, new GrpcChannelOptions
        {
            HttpHandler = ClusterTokenHandler.Wrap(options.ClusterToken, handler),
            DisposeHttpClient = true,
            // This side sends small requests and receives the neighbour's chunks.
            MaxSendMessageSize = 1 << 20,
            MaxReceiveMessageSize = CollectiveOptions.MaxChunkBytes + CollectiveOptions.MessageOverheadBytes,
            MaxRetryAttempts = 0,
            ThrowOperationCanceledOnCancellation = true,
            LoggerFactory = loggerFactory,
        });
    }
}
