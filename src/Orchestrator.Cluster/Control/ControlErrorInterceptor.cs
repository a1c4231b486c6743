using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Orchestrator.Cluster.Control;

/// <summary>Reports the cluster's exceptions with their status codes (<see cref="ControlErrors"/>) instead of UNKNOWN.</summary>
internal sealed class ControlErrorInterceptor : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (Exception ex) when (ControlErrors.ToRpcException(ex) is { } rpc)
        {
            throw rpc;
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context);
        }
        catch (Exception ex) when (ControlErrors.ToRpcException(ex) is { } rpc)
        {
            throw rpc;
        }
    }
}
