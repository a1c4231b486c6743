using System.Runtime.CompilerServices;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging.Abstractions;
using Orchestrator.Common.Security;
using Orchestrator.Cluster.Grains.Abstractions;
using Proto = Orchestrator.Cluster.Protos;

namespace Orchestrator.Cluster.Control;

/// <summary>
/// Typed access to a coordinator's control API for <c>orchestrator submit/status/cancel</c>. Failures come back
/// as the cluster's own exceptions (<see cref="InvalidJobSpecException"/>, <see cref="JobNotFoundException"/>,
/// <see cref="JobAlreadyExistsException"/>, <see cref="IllegalJobTransitionException"/>,
/// <see cref="Client.CoordinatorUnavailableException"/>, and <see cref="UnauthorizedAccessException"/> for a missing or wrong
/// cluster token) with the coordinator's message. With <see cref="MutualTlsOptions"/> it dials https, presents its
/// certificate and trusts the coordinator only if the cluster CA signed its certificate.
/// </summary>
public sealed class ControlClient : IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly Proto.Control.ControlClient _client;
    private readonly MutualTlsCredentials? _tls;

    private ControlClient(Uri address, string? clusterToken, MutualTlsCredentials? tls)
    {
        _tls = tls;
        var handler = new SocketsHttpHandler();
        if (tls is not null)
        {
            handler.UseMutualTls(tls, NullLogger.Instance, address);
            address = MutualTlsClient.Secure(address);
        }

        Address = address;
        _channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = ClusterTokenHandler.Wrap(clusterToken, handler),
            DisposeHttpClient = true,
        });
        _client = new Proto.Control.ControlClient(_channel);
    }

    /// <summary>The coordinator's control endpoint, e.g. http://127.0.0.1:5050.</summary>
    public Uri Address { get; }

    /// <summary>
    /// Creates a client for "HOST:PORT" or "http://HOST:PORT" (the coordinator's <c>ControlPort</c>), sending
    /// <paramref name="clusterToken"/> with every call when the coordinator requires one, over mutual TLS when
    /// <paramref name="tls"/> is set (its files are read now). No connection is made until the first call.
    /// </summary>
    public static ControlClient Connect(string address, string? clusterToken = null, MutualTlsOptions? tls = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(address);
        var text = address.Contains("://", StringComparison.Ordinal) ? address : $"http://{address}";
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.IsDefaultPort)
        {
            throw new ArgumentException($"coordinator address '{address}' is not HOST:PORT or http://HOST:PORT (e.g. 127.0.0.1:5050)", nameof(address));
        }

        ClusterToken.Validate(clusterToken, "--cluster-token");
        tls?.Validate("tls");
        return new ControlClient(uri, clusterToken, tls is { IsEnabled: true } ? tls.Load() : null);
    }

    /// <summary>Submits a job; an empty <see cref="JobSpec.JobId"/> lets the coordinator pick one (returned in the status).</summary>
    public Task<JobStatus> SubmitAsync(JobSpec spec, CancellationToken cancellationToken = default) =>
        CallAsync(async () => ControlMapping.ToDomain(
            await _client.SubmitJobAsync(new Proto.SubmitJobRequest { Spec = ControlMapping.ToProto(spec) }, cancellationToken: cancellationToken)));

    public Task<JobStatus> GetJobAsync(string jobId, CancellationToken cancellationToken = default) =>
        CallAsync(async () => ControlMapping.ToDomain(
            await _client.GetJobAsync(new Proto.GetJobRequest { JobId = jobId }, cancellationToken: cancellationToken)));

    public Task<IReadOnlyList<JobStatus>> ListJobsAsync(CancellationToken cancellationToken = default) =>
        CallAsync<IReadOnlyList<JobStatus>>(async () =>
            (await _client.ListJobsAsync(new Proto.ListJobsRequest(), cancellationToken: cancellationToken)).Jobs.Select(ControlMapping.ToDomain).ToArray());

    public Task<JobStatus> CancelAsync(string jobId, string reason, CancellationToken cancellationToken = default) =>
        CallAsync(async () => ControlMapping.ToDomain(
            await _client.CancelJobAsync(new Proto.CancelJobRequest { JobId = jobId, Reason = reason }, cancellationToken: cancellationToken)));

    public Task<IReadOnlyList<WorkerStatus>> ListWorkersAsync(CancellationToken cancellationToken = default) =>
        CallAsync<IReadOnlyList<WorkerStatus>>(async () =>
            (await _client.ListWorkersAsync(new Proto.ListWorkersRequest(), cancellationToken: cancellationToken)).Workers.Select(ControlMapping.ToDomain).ToArray());

    /// <summary>Yields the job's current status, then each change, and completes when the job reaches a final state.</summary>
    public async IAsyncEnumerable<JobStatus> WatchAsync(string jobId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var call = _client.WatchJob(new Proto.WatchJobRequest { JobId = jobId }, cancellationToken: cancellationToken);
        while (await CallAsync(() => call.ResponseStream.MoveNext(cancellationToken)))
        {
            yield return ControlMapping.ToDomain(call.ResponseStream.Current.Job);
        }
    }

    public void Dispose()
    {
        _channel.Dispose();
        _tls?.Dispose();
    }

    private async Task<T> CallAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (RpcException ex) when (ControlErrors.FromRpcException(ex, Address.ToString()) is var mapped && mapped != ex)
        {
            throw mapped;
        }
    }
}
