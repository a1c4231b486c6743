using Grpc.Core;
using Microsoft.Extensions.Logging;
using Orchestrator.Collective.Protos;
using Orchestrator.Collective.Telemetry;

namespace Orchestrator.Collective.Transport;

/// <summary>
/// The server half of a ring link, hosted by every worker: checks the handshake (protocol version, group, rank
/// order) and streams the addressed local group's outgoing chunks to the right neighbour that called.
/// </summary>
internal sealed class CollectivePeerService(CollectiveNode node, ILogger<CollectivePeerService> logger)
    : CollectivePeerBinding
{
    public override Task<HandshakeReply> Handshake(HandshakeRequest request, ServerCallContext context)
    {
        var group = Find(request.ProtocolVersion, request.GroupId, request.SenderRank, request.ReceiverRank);
        if (request.WorldSize != group.WorldSize)
            throw Refused(request.GroupId, request.ReceiverRank,
                $"rank {request.ReceiverRank} believes group '{request.GroupId}' has {request.WorldSize} ranks but rank " +
                $"{group.Rank} here was given {group.WorldSize}; hand every rank the same peer list");
        return Task.FromResult(new HandshakeReply
        {
            ProtocolVersion = CheckReceiver(group, request.ReceiverRank),
            Rank = group.Rank,
            WorldSize = group.WorldSize,
            Channels = group.OutgoingChannels,
        });
    }

    public override Task Exchange(ExchangeOpen request, IServerStreamWriter<OutgoingChunk> responseStream, ServerCallContext context)
    {
        var group = Find(request.ProtocolVersion, request.GroupId, request.SenderRank, request.ReceiverRank);
        CheckReceiver(group, request.ReceiverRank);
        return group.ServeRightNeighbourAsync(request.Channel, request.Channels == 0 ? 1 : request.Channels, responseStream, context);
    }

    private CollectiveGroup Find(uint protocolVersion, string groupId, int senderRank, int receiverRank)
    {
        if (protocolVersion != PeerHandshake.CurrentVersion)
            throw Refused(groupId, receiverRank,
                $"the peer speaks collective protocol version {protocolVersion} but this worker speaks version " +
                $"{PeerHandshake.CurrentVersion} (orchestrator.collective.v1); run the same Orchestrator build on every worker");
        if (!node.TryGetGroup(groupId, senderRank, out var group))
            throw new RpcException(new Status(StatusCode.Unavailable,
                $"rank {senderRank} has not joined group '{groupId}' on this worker yet"));
        return group;
    }

    // The caller is the receiver; it must be the right neighbour of the local rank it addresses.
    private uint CheckReceiver(CollectiveGroup group, int receiverRank)
    {
        if (receiverRank != group.Membership.RightRank)
            throw Refused(group.GroupId, receiverRank,
                $"rank {receiverRank} asked to receive from rank {group.Rank}, but in group '{group.GroupId}' rank {group.Rank} " +
                $"sends to rank {group.Membership.RightRank}; hand every rank the same peer list");
        return PeerHandshake.CurrentVersion;
    }

    private RpcException Refused(string groupId, int callerRank, string reason)
    {
        CollectiveLog.HandshakeRefused(logger, groupId, callerRank, reason);
        return PeerHandshake.Refuse(reason);
    }
}
