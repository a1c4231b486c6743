using System.Net.Sockets;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Orchestrator.Collective.Hosting;

/// <summary>
/// For the listener that serves the collective: caps the unsent bytes of every connection it accepts
/// (TCP_NOTSENT_LOWAT, <see cref="CollectiveOptions.UnsentBytesLimit"/>). The ring's chunks flow from this server to the
/// right neighbour, so the cap makes this rank's writes follow its link. Linux only; elsewhere, or at 0, sockets keep
/// their default.
/// </summary>
public static class UnsentBytesLimitExtensions
{
    private const int TcpNotSentLowAt = 25; // linux/tcp.h

    /// <summary>Applies the host's <see cref="CollectiveOptions.UnsentBytesLimit"/> (registered by <c>AddCollective</c>) to each accepted connection.</summary>
    public static ListenOptions LimitUnsentBytes(this ListenOptions listen)
    {
        ArgumentNullException.ThrowIfNull(listen);
        if (!OperatingSystem.IsLinux()) return listen;
        var limit = new Lazy<byte[]?>(() =>
        {
            var bytes = listen.ApplicationServices.GetRequiredService<IOptions<CollectiveOptions>>().Value.UnsentBytesLimit;
            return bytes > 0 ? BitConverter.GetBytes(bytes) : null;
        });
        listen.Use(next => connection =>
        {
            if (limit.Value is { } value)
                connection.Features.Get<IConnectionSocketFeature>()?.Socket.SetRawSocketOption((int)SocketOptionLevel.Tcp, TcpNotSentLowAt, value);
            return next(connection);
        });
        return listen;
    }
}
