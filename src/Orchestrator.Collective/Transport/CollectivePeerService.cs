using Grpc.Core;
using Microsoft.Extensions.Logging;
using Orchestrator.Collective.Protos;
using Orchestrator.Collective.Telemetry;

namespace Orchestrator.Collective.Transport;

/// <summary>
/// The server half of a ring link, hosted by every worker: checks the handshake (protocol version, group, rank
/// order) and hands the incoming Exchange stream to the local group it is addressed to.
/// </summary>
internal sealed class CollectivePeerService(CollectiveNode node, ILogger<CollectivePeerService> logger)
    : CollectivePeer.CollectivePeerBase
{
    public override Task<HandshakeReply> Handshake(HandshakeRequest request, ServerCallContext context)
    {
        var group = Admit(request.ProtocolVersion, request.GroupId, request.SenderRank, request.ReceiverRank);
        if (request.WorldSize != group.WorldSize)
            throw Refused(request.GroupId, request.SenderRank,
                $"rank {request.SenderRank} believes group '{request.GroupId}' has {request.WorldSize} ranks but rank " +
                $"{group.Rank} here was given {group.WorldSize}; hand every rank the same peer list");
        return Task.FromResult(new HandshakeReply
        {
            ProtocolVersion = PeerHandshake.CurrentVersion,
            Rank = group.Rank,
            WorldSize = group.WorldSize,
        });
    }

    public override async Task<ExchangeSummary> Exchange(IAsyncStreamReader<ExchangeMessage> requestStream, ServerCallContext context)
    {
        if (!await requestStream.MoveNext(context.CancellationToken).ConfigureAwait(false))
            return new ExchangeSummary();
        if (requestStream.Current.BodyCase != ExchangeMessage.BodyOneofCase.Open)
            throw PeerHandshake.Refuse("An Exchange stream must start with an ExchangeOpen message (orchestrator.collective.v1).");
        var open = requestStream.Current.Open;
        var group = Admit(open.ProtocolVersion, open.GroupId, open.SenderRank, open.ReceiverRank);
        return await group.ReceiveLinkAsync(requestStream, context.CancellationToken).ConfigureAwait(false);
    }

    private CollectiveGroup Admit(uint protocolVersion, string groupId, int senderRank, int receiverRank)
    {
        if (protocolVersion != PeerHandshake.CurrentVersion)
            throw Refused(groupId, senderRank,
                $"the peer speaks collective protocol version {protocolVersion} but this worker speaks version " +
                $"{PeerHandshake.CurrentVersion} (orchestrator.collective.v1); run the same Orchestrator build on every worker");
        if (!node.TryGetGroup(groupId, receiverRank, out var group))
            throw new RpcException(new Status(StatusCode.Unavailable,
                $"rank {receiverRank} has not joined group '{groupId}' on this worker yet"));
        if (senderRank != group.Membership.LeftRank)
            throw Refused(groupId, senderRank,
                $"rank {senderRank} tried to send to rank {receiverRank}, but in group '{groupId}' only rank " +
                $"{group.Membership.LeftRank} sends to it; hand every rank the same peer list");
        return group;
    }

    private RpcException Refused(string groupId, int senderRank, string reason)
    {
        CollectiveLog.HandshakeRefused(logger, groupId, senderRank, reason);
        return PeerHandshake.Refuse(reason);
    }
}
