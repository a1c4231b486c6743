using Grpc.Core;
using Orchestrator.Cluster.Client;
using Orchestrator.Cluster.Grains.Abstractions;

namespace Orchestrator.Cluster.Control;

/// <summary>
/// The mapping between the cluster's exceptions and gRPC status codes, used by the server (exception → status)
/// and by <see cref="ControlClient"/> (status → the same exception type), so callers of either side catch
/// the same specific exceptions.
/// </summary>
public static class ControlErrors
{
    /// <summary>Trailer naming the <see cref="JobSpec"/> field at fault for INVALID_ARGUMENT.</summary>
    public const string FieldTrailer = "orchestrator-invalid-field";

    /// <summary>The status an exception is reported with, or null for unexpected ones.</summary>
    public static RpcException? ToRpcException(Exception exception) => exception switch
    {
        InvalidJobSpecException e => new RpcException(new Status(StatusCode.InvalidArgument, e.Message), new Metadata { { FieldTrailer, e.Field } }),
        JobNotFoundException e => new RpcException(new Status(StatusCode.NotFound, e.Message)),
        JobAlreadyExistsException e => new RpcException(new Status(StatusCode.AlreadyExists, e.Message)),
        IllegalJobTransitionException e => new RpcException(new Status(StatusCode.FailedPrecondition, e.Message)),
        _ => null,
    };

    /// <summary>Turns a failed call back into the cluster exception it stands for; unknown statuses come back unchanged.</summary>
    public static Exception FromRpcException(RpcException exception, string address) => exception.StatusCode switch
    {
        StatusCode.InvalidArgument => new InvalidJobSpecException(exception.Trailers.GetValue(FieldTrailer) ?? "", exception.Status.Detail),
        StatusCode.NotFound => new JobNotFoundException(exception.Status.Detail),
        StatusCode.AlreadyExists => new JobAlreadyExistsException(exception.Status.Detail),
        StatusCode.FailedPrecondition => new IllegalJobTransitionException(exception.Status.Detail),
        StatusCode.Unavailable => Unreachable(exception, address),
        // The client's own transport broke mid-call (with TLS 1.3 a server that refuses the client's certificate says
        // so only after the client thinks the handshake is done): the coordinator cannot be used, as with Unavailable.
        StatusCode.Internal when exception.Status.DebugException is HttpRequestException or IOException => Unreachable(exception, address),
        StatusCode.Unauthenticated => new UnauthorizedAccessException(
            $"coordinator control API at {address} refused the call: {exception.Status.Detail}", exception),
        _ => exception,
    };

    private static CoordinatorUnavailableException Unreachable(RpcException exception, string address) => new(
        $"coordinator control API at {address} is unreachable ({exception.Status.Detail}): start it with `orchestrator coordinator` or fix the address",
        exception);
}
