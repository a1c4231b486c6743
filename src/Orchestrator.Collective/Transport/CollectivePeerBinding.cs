using Google.Protobuf;
using Grpc.Core;
using Orchestrator.Collective.Protos;

namespace Orchestrator.Collective.Transport;

/// <summary>
/// The CollectivePeer service of protos/collective.proto, bound to gRPC by hand instead of through the generated
/// base class, because Exchange's chunks are written and read by <see cref="ChunkWire"/> (same bytes on the wire,
/// no per-byte copy or allocation) rather than by the generated <c>Chunk</c> class. Handshake keeps the generated
/// messages. ASP.NET Core's gRPC finds <see cref="BindService"/> through the attribute and dispatches to the
/// overriding implementation.
/// </summary>
[BindServiceMethod(typeof(CollectivePeerBinding), nameof(BindService))]
internal abstract class CollectivePeerBinding
{
    private const string ServiceName = "orchestrator.collective.v1.CollectivePeer";

    /// <summary>Handshake, as the generated client also calls it.</summary>
    public static readonly Method<HandshakeRequest, HandshakeReply> HandshakeMethod = new(MethodType.Unary, ServiceName, "Handshake",
        Protobuf(HandshakeRequest.Parser), Protobuf(HandshakeReply.Parser));

    /// <summary>Exchange as the server sees it: it writes outgoing chunks.</summary>
    public static readonly Method<ExchangeOpen, OutgoingChunk> ServeExchange = new(MethodType.ServerStreaming, ServiceName, "Exchange",
        Protobuf(ExchangeOpen.Parser),
        Marshallers.Create<OutgoingChunk>(ChunkWire.Serialize, _ => throw new InvalidOperationException("The server only writes chunks.")));

    /// <summary>Exchange as the receiving client sees it: it reads chunks into pooled buffers.</summary>
    public static readonly Method<ExchangeOpen, ReceivedChunk> ReceiveExchange = new(MethodType.ServerStreaming, ServiceName, "Exchange",
        Protobuf(ExchangeOpen.Parser),
        Marshallers.Create<ReceivedChunk>((_, _) => throw new InvalidOperationException("The client only reads chunks."), ChunkWire.Deserialize));

    public abstract Task<HandshakeReply> Handshake(HandshakeRequest request, ServerCallContext context);

    public abstract Task Exchange(ExchangeOpen request, IServerStreamWriter<OutgoingChunk> responseStream, ServerCallContext context);

    /// <summary>Called by gRPC with a null <paramref name="service"/> to discover the methods, or with one to bind them.</summary>
    public static void BindService(ServiceBinderBase binder, CollectivePeerBinding? service)
    {
        ArgumentNullException.ThrowIfNull(binder);
        binder.AddMethod(HandshakeMethod, service is null ? null : new UnaryServerMethod<HandshakeRequest, HandshakeReply>(service.Handshake));
        binder.AddMethod(ServeExchange, service is null ? null : new ServerStreamingServerMethod<ExchangeOpen, OutgoingChunk>(service.Exchange));
    }

    private static Marshaller<T> Protobuf<T>(MessageParser<T> parser) where T : IMessage<T>, IBufferMessage =>
        Marshallers.Create<T>((message, context) =>
        {
            context.SetPayloadLength(message.CalculateSize());
            message.WriteTo(context.GetBufferWriter());
            context.Complete();
        }, context => parser.ParseFrom(context.PayloadAsReadOnlySequence()));
}
