using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;

namespace Orchestrator.Common.Security;

/// <summary>
/// Server side of the cluster token: every call, of every kind, must carry <c>authorization: Bearer TOKEN</c>;
/// anything else ends with <see cref="StatusCode.Unauthenticated"/> before the service runs, and a warning names the
/// peer and method (never the token presented) so an operator sees who is knocking. Register it first, so no other
/// interceptor sees an unauthenticated call.
/// </summary>
public sealed partial class ClusterTokenInterceptor(string expectedToken, ILogger<ClusterTokenInterceptor> logger) : Interceptor
{
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Authenticate(context);
        return continuation(request, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authenticate(context);
        return continuation(request, responseStream, context);
    }

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authenticate(context);
        return continuation(requestStream, context);
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authenticate(context);
        return continuation(requestStream, responseStream, context);
    }

    private void Authenticate(ServerCallContext context)
    {
        var authorization = context.RequestHeaders.GetValue(ClusterToken.MetadataKey);
        if (ClusterToken.Matches(expectedToken, authorization)) return;
        var reason = authorization is null ? "no cluster token" : "a wrong cluster token";
        Refused(logger, context.Method, context.Peer, reason);
        throw new RpcException(new Status(StatusCode.Unauthenticated,
            $"this cluster requires its token and the call carried {reason}: give every process the same --cluster-token " +
            $"(or {ClusterToken.EnvironmentVariable})"));
    }

    [LoggerMessage(1, LogLevel.Warning, "Refused {Method} from {Peer}: {Reason}")]
    private static partial void Refused(ILogger logger, string method, string peer, string reason);
}
