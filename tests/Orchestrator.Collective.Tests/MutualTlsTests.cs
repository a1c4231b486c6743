using System.Net.Security;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Orchestrator.Collective.Hosting;
using Orchestrator.Collective.Protos;
using Orchestrator.Common.Security;
using Orchestrator.Collective.Transport;

namespace Orchestrator.Collective.Tests;

/// <summary>
/// With certificates configured, ranks speak gRPC over mutual TLS: ranks holding certificates of the cluster CA form a
/// ring and reduce, while a caller with no certificate, or one signed by another CA, is turned away during the
/// handshake, and the server logs the caller's address and why.
/// </summary>
public sealed class MutualTlsTests : IDisposable
{
    private const string Token = "collective-tls-token-0123456789";

    private readonly TestCertificateAuthority _cluster = TestCertificateAuthority.Create("cluster-ca");
    private readonly TestCertificateAuthority _rogue = TestCertificateAuthority.Create("rogue-ca");

    [Fact]
    public async Task Ranks_with_certificates_of_the_cluster_ca_all_reduce_over_mutual_tls()
    {
        var tls = _cluster.Issue("worker");
        await using var ring = await Ring.StartAsync(2, o =>
        {
            o.ClusterToken = Token;
            o.Tls = tls;
        });

        var results = await ring.OnEveryRankAsync(group => group.SumAsync([group.Rank + 1.0, 0.25], CancellationToken.None));

        Assert.All(ring.Servers, server => Assert.Equal(Uri.UriSchemeHttps, server.Endpoint.Scheme));
        Assert.All(results, sum => Assert.Equal([3.0, 0.5], sum));
    }

    [Fact]
    public async Task A_caller_without_a_client_certificate_is_refused_and_logged_with_its_address()
    {
        var logs = new CapturingLoggerProvider();
        await using var server = await CollectiveServer.StartAsync(0, configure: o => o.Tls = _cluster.Issue("server"),
            configureLogging: logging => logging.AddProvider(logs));
        using var trust = _cluster.Issue("anonymous").Load();
        using var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, chain, _) => trust.IsTrusted(certificate, chain, out _),
            },
        };

        await Assert.ThrowsAsync<RpcException>(() => HandshakeAsync(server, handler));

        var refusal = await RefusalAsync(logs);
        Assert.StartsWith("127.0.0.1:", (string)refusal.State["RemoteEndpoint"]!);
        Assert.Equal("it presented no certificate", refusal.State["Reason"]);
    }

    [Fact]
    public async Task A_caller_with_a_certificate_from_another_ca_is_refused_and_logged_with_the_reason()
    {
        var logs = new CapturingLoggerProvider();
        await using var server = await CollectiveServer.StartAsync(0, configure: o => o.Tls = _cluster.Issue("server"),
            configureLogging: logging => logging.AddProvider(logs));
        // Trusts the real server, so only the server's check of the client can fail.
        using var rogue = _rogue.Issue("intruder", trustedCaPath: _cluster.CaPath).Load();
        using var handler = new SocketsHttpHandler().UseMutualTls(rogue, NullLogger.Instance, server.Endpoint);

        await Assert.ThrowsAsync<RpcException>(() => HandshakeAsync(server, handler));

        var refusal = await RefusalAsync(logs);
        Assert.StartsWith("127.0.0.1:", (string)refusal.State["RemoteEndpoint"]!);
        Assert.Contains("'CN=intruder' (issuer 'CN=rogue-ca') does not chain to the cluster CA", (string)refusal.State["Reason"]!);
    }

    [Fact]
    public async Task A_rank_refuses_a_neighbour_whose_server_certificate_another_ca_signed()
    {
        var logs = new CapturingLoggerProvider();
        await using var rogueServer = await CollectiveServer.StartAsync(0, configure: o => o.Tls = _rogue.Issue("impostor"));
        using var mine = _cluster.Issue("worker").Load();
        using var handler = new SocketsHttpHandler().UseMutualTls(mine, logs.CreateLogger("client"), rogueServer.Endpoint);

        await Assert.ThrowsAsync<RpcException>(() => HandshakeAsync(rogueServer, handler));

        var refusal = Assert.Single(logs.Entries, e => e.Message.StartsWith("Refused to trust the server", StringComparison.Ordinal));
        Assert.Equal(rogueServer.Endpoint.Authority, refusal.State["RemoteEndpoint"]);
        Assert.Contains("'CN=impostor' (issuer 'CN=rogue-ca')", (string)refusal.State["Reason"]!);
    }

    [Fact]
    public void Tls_options_with_a_path_missing_are_refused_naming_the_option()
    {
        var partial = new CollectiveOptions { Tls = new MutualTlsOptions { CertificatePath = _cluster.CaPath } };

        var refusal = Assert.Throws<ArgumentException>(partial.Validate);

        Assert.Contains("Collective:Tls:KeyPath is missing", refusal.Message);
    }

    public void Dispose()
    {
        _cluster.Dispose();
        _rogue.Dispose();
    }

    /// <summary>The server's refusal warning; logged on the handshake's thread, so it may trail the client's failure.</summary>
    private static async Task<CapturingLoggerProvider.LogEntry> RefusalAsync(CapturingLoggerProvider logs)
    {
        for (var attempt = 0; attempt < 50 && !logs.Entries.Any(IsRefusal); attempt++)
            await Task.Delay(20);
        var refusal = Assert.Single(logs.Entries, IsRefusal);
        Assert.Equal(LogLevel.Warning, refusal.Level);
        Assert.Equal("The collective service", refusal.State["Server"]);
        return refusal;

        static bool IsRefusal(CapturingLoggerProvider.LogEntry e) => e.Message.Contains("refused a TLS connection", StringComparison.Ordinal);
    }

    private static async Task HandshakeAsync(CollectiveServer server, HttpMessageHandler handler)
    {
        using var channel = GrpcChannel.ForAddress(server.Endpoint, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = false });
        var client = new CollectivePeer.CollectivePeerClient(channel);
        await client.HandshakeAsync(new HandshakeRequest
        {
            ProtocolVersion = PeerHandshake.CurrentVersion, GroupId = "no-such-group", SenderRank = 0, ReceiverRank = 1, WorldSize = 2,
        }, deadline: DateTime.UtcNow.AddSeconds(10));
    }
}
