using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orchestrator.Collective.Errors;
using Orchestrator.Collective.Protos;

namespace Orchestrator.Collective.Tests;

[Collection(RingCollection.Name)]
public sealed class ProtocolTests(RingPool pool)
{
    [Fact]
    public async Task A_worker_refuses_a_peer_speaking_another_protocol_version()
    {
        using var channel = GrpcChannel.ForAddress(pool.Servers[0].Endpoint);
        var client = new CollectivePeer.CollectivePeerClient(channel);

        var refusal = await Assert.ThrowsAsync<RpcException>(() => client.HandshakeAsync(new HandshakeRequest
        {
            ProtocolVersion = 99, GroupId = "any", SenderRank = 1, ReceiverRank = 0, WorldSize = 2,
        }).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, refusal.StatusCode);
        Assert.Contains("protocol version 99 but this worker speaks version 1", refusal.Status.Detail);
        Assert.Equal("1", refusal.Trailers.GetValue("collective-protocol-version"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Joining_a_peer_of_another_protocol_version_fails_with_a_clear_error(bool peerRefuses)
    {
        await using var future = await FuturePeer.StartAsync(peerRefuses);
        var membership = new RingMembership("mixed-builds-" + peerRefuses, 0, [pool.Servers[0].Endpoint, future.Endpoint]);

        var mismatch = await Assert.ThrowsAsync<ProtocolMismatchException>(() =>
            pool.Servers[0].Node.JoinAsync(membership, CancellationToken.None));

        Assert.Equal(2u, mismatch.PeerVersion);
        Assert.Equal(future.Endpoint, mismatch.PeerEndpoint);
        Assert.Contains($"{future.Endpoint} speaks protocol version 2 but this worker speaks version 1", mismatch.Message);
    }

    [Fact]
    public async Task Ranks_given_different_peer_lists_are_refused()
    {
        var endpoints = pool.Servers.Take(3).Select(s => s.Endpoint).ToArray();
        var groupId = "disagree-" + Guid.NewGuid().ToString("N");
        using var giveUp = new CancellationTokenSource();
        var rank1 = pool.Servers[1].Node.JoinAsync(new RingMembership(groupId, 1, endpoints), giveUp.Token);

        // Rank 0 believes the group has only two ranks. Whichever handshake arrives first is refused: rank 0's at
        // rank 1 or, when rank 1's retry reaches rank 0 first, rank 1's at rank 0 (rank 0 then waits in vain).
        var rank0Failure = await Record.ExceptionAsync(() =>
            pool.Servers[0].Node.JoinAsync(new RingMembership(groupId, 0, endpoints.Take(2).ToArray()), CancellationToken.None));
        await giveUp.CancelAsync(); // rank 1 would otherwise wait for rank 2, which never joins
        var rank1Failure = await Record.ExceptionAsync(() => rank1);

        var refusals = new[] { rank0Failure, rank1Failure }.OfType<CollectiveMismatchException>().Select(e => e.Message).ToArray();
        Assert.True(refusals.Any(m => m.Contains($"rank 0 believes group '{groupId}' has 2 ranks but rank 1 here was given 3")
                                      || m.Contains($"rank 1 believes group '{groupId}' has 3 ranks but rank 0 here was given 2")),
            $"rank 0 ended with {rank0Failure}; rank 1 ended with {rank1Failure}");
        Assert.NotNull(rank0Failure);
        Assert.True(rank1Failure is CollectiveMismatchException or OperationCanceledException, $"rank 1 ended with {rank1Failure}");
    }

    /// <summary>A real gRPC server standing in for a worker of a later build, speaking protocol version 2.</summary>
    private sealed class FuturePeer(WebApplication app, Uri endpoint) : IAsyncDisposable
    {
        public Uri Endpoint => endpoint;

        public static async Task<FuturePeer> StartAsync(bool refuses)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
            builder.Services.AddGrpc();
            builder.Services.AddSingleton(new FutureService(refuses));
            var app = builder.Build();
            app.MapGrpcService<FutureService>();
            await app.StartAsync();
            var port = new Uri(app.Urls.First()).Port;
            return new FuturePeer(app, new Uri($"http://127.0.0.1:{port}/"));
        }

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    private sealed class FutureService(bool refuses) : CollectivePeer.CollectivePeerBase
    {
        public override Task<HandshakeReply> Handshake(HandshakeRequest request, ServerCallContext context)
        {
            if (refuses)
                throw new RpcException(new Status(StatusCode.FailedPrecondition, "this worker speaks version 2"),
                    new Metadata { { "collective-protocol-version", "2" } });
            return Task.FromResult(new HandshakeReply { ProtocolVersion = 2, Rank = request.ReceiverRank, WorldSize = request.WorldSize });
        }
    }
}
