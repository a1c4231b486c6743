using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Orchestrator.Collective.Hosting;
using Orchestrator.Collective.Protos;
using Orchestrator.Common.Security;
using Orchestrator.Collective.Transport;

namespace Orchestrator.Collective.Tests;

/// <summary>
/// A rank's peer service with a cluster token answers only callers that present it: ranks configured with the same
/// token form a ring and reduce, a caller without it or with another one is refused as Unauthenticated, and the
/// refusal is logged with the caller's address and the method, never the token.
/// </summary>
public sealed class ClusterTokenTests
{
    private const string Token = "collective-test-token-0123456789";
    private const string HandshakeMethod = "/orchestrator.collective.v1.CollectivePeer/Handshake";

    [Fact]
    public async Task Ranks_sharing_the_cluster_token_form_a_ring_and_sum()
    {
        await using var ring = await Ring.StartAsync(2, o => o.ClusterToken = Token);

        var results = await ring.OnEveryRankAsync(group => group.SumAsync([group.Rank + 1.0, 0.5], CancellationToken.None));

        Assert.All(results, sum => Assert.Equal([3.0, 1.0], sum));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("someone-elses-token-0123456789")]
    public async Task A_call_without_the_right_token_is_refused_as_unauthenticated_and_logged_without_the_token(string? presented)
    {
        var logs = new CapturingLoggerProvider();
        await using var server = await CollectiveServer.StartAsync(0, configure: o => o.ClusterToken = Token,
            configureLogging: logging => logging.AddProvider(logs));

        var refusal = await Assert.ThrowsAsync<RpcException>(() => HandshakeAsync(server, presented));

        Assert.Equal(StatusCode.Unauthenticated, refusal.StatusCode);
        Assert.Contains(presented is null ? "no cluster token" : "a wrong cluster token", refusal.Status.Detail);
        var warning = Assert.Single(logs.Entries, e => e.Category == typeof(ClusterTokenInterceptor).FullName);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Equal(HandshakeMethod, warning.State["Method"]);
        Assert.Contains("127.0.0.1", (string)warning.State["Peer"]!);
        Assert.All(logs.Entries, e => Assert.DoesNotContain(Token, e.Message));
        if (presented is not null) Assert.All(logs.Entries, e => Assert.DoesNotContain(presented, e.Message));
    }

    [Fact]
    public async Task A_call_with_the_right_token_reaches_the_peer_service()
    {
        var logs = new CapturingLoggerProvider();
        await using var server = await CollectiveServer.StartAsync(0, configure: o => o.ClusterToken = Token,
            configureLogging: logging => logging.AddProvider(logs));

        // Past authentication the service itself answers: no group of that name has been joined here.
        var answer = await Assert.ThrowsAsync<RpcException>(() => HandshakeAsync(server, Token));

        Assert.Equal(StatusCode.Unavailable, answer.StatusCode);
        Assert.Contains("has not joined group 'no-such-group'", answer.Status.Detail);
        Assert.DoesNotContain(logs.Entries, e => e.Category == typeof(ClusterTokenInterceptor).FullName);
    }

    [Fact]
    public async Task A_peer_service_without_a_token_warns_at_start_that_it_is_open()
    {
        var logs = new CapturingLoggerProvider();
        await using var server = await CollectiveServer.StartAsync(0, configureLogging: logging => logging.AddProvider(logs));

        var warning = Assert.Single(logs.Entries, e => e.Message.Contains("unauthenticated"));
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("--cluster-token", warning.Message);
        Assert.Equal(StatusCode.Unavailable, (await Assert.ThrowsAsync<RpcException>(() => HandshakeAsync(server, null))).StatusCode);
    }

    [Fact]
    public void A_short_token_is_refused_naming_the_option_but_not_the_value()
    {
        var refusal = Assert.Throws<ArgumentException>(new CollectiveOptions { ClusterToken = "secret" }.Validate);

        Assert.Contains("Collective:ClusterToken", refusal.Message);
        Assert.DoesNotContain("secret", refusal.Message);
    }

    private static async Task HandshakeAsync(CollectiveServer server, string? token)
    {
        using var channel = GrpcChannel.ForAddress(server.Endpoint);
        var client = new CollectivePeer.CollectivePeerClient(channel);
        var headers = token is null ? new Metadata() : new Metadata { { ClusterToken.MetadataKey, ClusterToken.AuthorizationValue(token) } };
        await client.HandshakeAsync(new HandshakeRequest
        {
            ProtocolVersion = PeerHandshake.CurrentVersion, GroupId = "no-such-group", SenderRank = 0, ReceiverRank = 1, WorldSize = 2,
        }, headers);
    }
}
