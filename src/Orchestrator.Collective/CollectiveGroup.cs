using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Orchestrator.Collective.Errors;
using Orchestrator.Collective.Protos;
using Orchestrator.Collective.Telemetry;
using Orchestrator.Collective.Transport;

namespace Orchestrator.Collective;

/// <summary>
/// This rank's membership of a ring of data-parallel workers, and the collective operations it can run with them.
/// Every rank must call the same operations in the same order with buffers of the same lengths; calls may overlap
/// (each gets a sequence number at the call, so their data never mix). Any failure — a dead peer, a missed
/// deadline, a cancellation, a mismatch — leaves the ring out of step: the group then refuses further work and the
/// caller disposes it and joins a new one.
/// </summary>
public sealed class CollectiveGroup : IAsyncDisposable
{
    private readonly CollectiveNode _node;
    private readonly CollectiveOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly CollectiveMetrics _metrics;
    private readonly Inbox _inbox = new();
    private readonly CancellationTokenSource _closing = new();
    private readonly TaskCompletionSource _faulted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly OutgoingLink _outgoing;
    private IncomingLink? _incoming;
    private bool _connected;
    private long _nextOperation;
    private int _inFlight;
    private ExceptionDispatchInfo? _fault;
    private int _disposed;

    internal CollectiveGroup(CollectiveNode node, RingMembership membership, CollectiveOptions options,
        CollectiveMetrics metrics, ILoggerFactory loggerFactory)
    {
        _node = node;
        Membership = membership;
        _options = options;
        _metrics = metrics;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<CollectiveGroup>();
        _outgoing = new OutgoingLink(membership, options.ChannelsPerLink, Statistics, metrics, Fault);
    }

    public RingMembership Membership { get; }

    public string GroupId => Membership.GroupId;

    public int Rank => Membership.Rank;

    public int WorldSize => Membership.WorldSize;

    public CollectiveStatistics Statistics { get; } = new();

    /// <summary>
    /// Reduces <paramref name="buffer"/> element-wise across all ranks, in place. The buffer must stay untouched
    /// until the task completes.
    /// </summary>
    public Task AllReduceAsync(Memory<float> buffer, ReduceOp op, CancellationToken cancellationToken)
    {
        var operation = ReserveOperations(1);
        return RunAllReduceAsync(operation, buffer, op, cancellationToken);
    }

    /// <summary>
    /// Reduces each buffer across ranks, in place, packing them into buckets of about
    /// <see cref="CollectiveOptions.BucketBytes"/> that travel pipelined (see <see cref="GradientBuckets"/>).
    /// </summary>
    public Task AllReduceAsync(IReadOnlyList<Memory<float>> buffers, ReduceOp op, CancellationToken cancellationToken) =>
        AllReduceAsync(buffers, op, bf16: false, cancellationToken);

    /// <summary>
    /// As <see cref="AllReduceAsync(IReadOnlyList{Memory{float}}, ReduceOp, CancellationToken)"/>, sending bf16 on the
    /// wire when <paramref name="bf16"/> is set (or the group or node asks for it). The trainer chooses the wire format
    /// per call (gradient compression none, bf16 or auto); every rank must pass the same value for the same call.
    /// </summary>
    public Task AllReduceAsync(IReadOnlyList<Memory<float>> buffers, ReduceOp op, bool bf16, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(buffers);
        var lengths = new int[buffers.Count];
        for (var i = 0; i < lengths.Length; i++)
            lengths[i] = buffers[i].Length;
        return new GradientBuckets(lengths, _options.BucketBytes).AllReduceAsync(this, buffers, op, bf16, cancellationToken);
    }

    /// <summary>
    /// Gives every rank every rank's <paramref name="values"/> (the same length on all ranks), bit for bit: the
    /// result's element r is rank r's block. For state that differs per rank and must be saved by one of them
    /// (PowerSGD's error-feedback buffers in a checkpoint). Each rank sends and receives (N−1) blocks.
    /// </summary>
    public Task<float[][]> AllGatherAsync(ReadOnlyMemory<float> values, CancellationToken cancellationToken)
    {
        var operation = ReserveOperations(1);
        if (WorldSize == 1)
        {
            ThrowIfUnusable();
            return Task.FromResult(new[] { values.ToArray() });
        }

        return RunAsync(operation, OperationKind.AllGather, values.Length,
            op => RingAllGather.GatherAsync(op, values, _options.ChunkBytes / sizeof(float)), cancellationToken);
    }

    /// <summary>
    /// Sums small float64 values across ranks. Additions happen in rank order on every rank, so all ranks get
    /// bit-identical sums.
    /// </summary>
    public Task<double[]> SumAsync(IReadOnlyList<double> values, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(values);
        var operation = ReserveOperations(1);
        var own = values.ToArray();
        if (WorldSize == 1)
        {
            ThrowIfUnusable();
            return Task.FromResult(own);
        }

        return RunAsync(operation, OperationKind.AllGather, own.Length,
            op => RingAllGather.SumAsync(op, own, _options.ChunkBytes / sizeof(double)), cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
            return;
        Fault(new CollectiveAbortedException($"Group '{GroupId}' was disposed on rank {Rank}; join a new group to continue."));
        await _closing.CancelAsync().ConfigureAwait(false);
        await _outgoing.CloseAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        if (_incoming is not null)
            await _incoming.DisposeAsync().ConfigureAwait(false);
        _node.Remove(this);
        CollectiveLog.Closed(_logger, GroupId, Rank, Statistics.Operations, Statistics.PayloadBytesSent);
        _closing.Dispose();
    }

    /// <summary>Takes <paramref name="count"/> consecutive sequence numbers; called synchronously at the user's call.</summary>
    internal ulong ReserveOperations(int count) => (ulong)(Interlocked.Add(ref _nextOperation, count) - count);

    internal Task RunAllReduceAsync(ulong operation, Memory<float> buffer, ReduceOp op, CancellationToken cancellationToken) =>
        RunAllReduceAsync(operation, buffer, op, bf16: false, cancellationToken);

    internal Task RunAllReduceAsync(ulong operation, Memory<float> buffer, ReduceOp op, bool bf16, CancellationToken cancellationToken)
    {
        if (WorldSize == 1)
        {
            ThrowIfUnusable();
            return Task.CompletedTask;
        }

        var compress = bf16 || Membership.CompressBf16 || _options.CompressBf16;
        var frameElements = _options.ChunkBytes / sizeof(float);
        return RunAsync(operation, OperationKind.AllReduce, buffer.Length,
            context => RingAllReduce.RunAsync(context, buffer, op, compress, frameElements), cancellationToken);
    }

    /// <summary>
    /// Opens the link from the left neighbour and waits for the right one to open its link to this rank; every
    /// rank does both, so when all have returned the ring is closed.
    /// </summary>
    internal async Task ConnectAsync(CancellationToken cancellationToken)
    {
        if (WorldSize > 1)
        {
            _incoming = await IncomingLink.ConnectAsync(Membership, _options, _inbox, _loggerFactory, Fault, cancellationToken)
                .ConfigureAwait(false);
            try
            {
                await Task.WhenAny(_outgoing.Attached, _faulted.Task).WaitAsync(_options.ConnectTimeout, cancellationToken)
                    .ConfigureAwait(false);
                _fault?.Throw();
            }
            catch (TimeoutException)
            {
                throw new CollectiveTimeoutException(Membership.RightRank, Membership.RightEndpoint, _options.ConnectTimeout,
                    $"Rank {Membership.RightRank} at {Membership.RightEndpoint} did not connect to rank {Rank} of group " +
                    $"'{GroupId}' within {_options.ConnectTimeout}. Start that worker with the same peer list, or raise " +
                    $"{CollectiveOptions.SectionName}:{nameof(CollectiveOptions.ConnectTimeout)}.");
            }

            CollectiveLog.Joined(_logger, GroupId, Rank, WorldSize, Membership.RightEndpoint, Membership.LeftEndpoint);
        }

        _connected = true;
    }

    /// <summary>How many channels this rank sends on: announced to the right neighbour in the handshake.</summary>
    internal int OutgoingChannels => _outgoing.Channels;

    /// <summary>Serves one of the right neighbour's Exchange calls: streams this rank's chunks on that channel until the group closes.</summary>
    internal Task ServeRightNeighbourAsync(int channel, int channels, IServerStreamWriter<OutgoingChunk> stream, ServerCallContext context)
    {
        CollectiveLog.OutgoingLinkOpened(_logger, GroupId, Membership.RightRank, channel);
        return _outgoing.ServeAsync(channel, channels, stream, context);
    }

    internal void RecordReceived(int payloadBytes)
    {
        Statistics.RecordReceived(payloadBytes);
        _metrics.RecordReceived(payloadBytes);
    }

    private async Task RunAsync(ulong operation, OperationKind kind, long elements, Func<OperationContext, Task> body,
        CancellationToken cancellationToken)
    {
        await RunAsync<bool>(operation, kind, elements, async context =>
        {
            await body(context).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    private async Task<T> RunAsync<T>(ulong operation, OperationKind kind, long elements, Func<OperationContext, Task<T>> body,
        CancellationToken cancellationToken)
    {
        ThrowIfUnusable();
        var started = Stopwatch.GetTimestamp();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing.Token);
        deadline.CancelAfter(_options.OperationTimeout);
        var incomingChannels = _incoming?.Channels ?? 1;
        var context = new OperationContext(this, _outgoing, operation, kind, elements, _inbox.Open(operation, incomingChannels), deadline.Token);
        var succeeded = false;
        Interlocked.Increment(ref _inFlight);
        try
        {
            var result = await body(context).ConfigureAwait(false);
            succeeded = true;
            return result;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Fault(new CollectiveAbortedException(
                $"Operation {operation} of group '{GroupId}' was cancelled on rank {Rank}; the other ranks are now out of step " +
                "with this one, so the group cannot be used again."));
            throw;
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException && _fault is not null)
        {
            _fault.Throw();
            throw;
        }
        catch (OperationCanceledException)
        {
            var timeout = Timeout(context);
            Fault(timeout);
            throw timeout;
        }
        catch (CollectiveException ex)
        {
            Fault(ex);
            throw;
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
            _inbox.Close(operation, incomingChannels);
            var elapsed = Stopwatch.GetTimestamp() - started;
            Statistics.RecordOperation(elapsed);
            _metrics.RecordOperation(kind.ToString(), Stopwatch.GetElapsedTime(started), succeeded);
            if (succeeded)
                CollectiveLog.OperationCompleted(_logger, GroupId, operation, kind.ToString(), elements,
                    Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    private CollectiveTimeoutException Timeout(OperationContext context)
    {
        var (peer, endpoint) = context.WaitingOnRight
            ? (Membership.RightRank, Membership.RightEndpoint)
            : (Membership.LeftRank, Membership.LeftEndpoint);
        var what = context.WaitingOnRight
            ? $"waiting for rank {peer} at {endpoint} to accept data"
            : $"waiting for data from rank {peer} at {endpoint}";
        return new CollectiveTimeoutException(peer, endpoint, _options.OperationTimeout,
            $"Operation {context.Operation} of group '{GroupId}' timed out after {_options.OperationTimeout} on rank {Rank}, {what}; " +
            $"that rank, or one before it in the ring, is dead or stuck. If the exchange is merely slow, raise " +
            $"{CollectiveOptions.SectionName}:{nameof(CollectiveOptions.OperationTimeout)}.");
    }

    private void Fault(CollectiveException failure)
    {
        var captured = ExceptionDispatchInfo.Capture(failure);
        if (Interlocked.CompareExchange(ref _fault, captured, null) is not null)
            return;
        if (Volatile.Read(ref _inFlight) > 0)
            CollectiveLog.Faulted(_logger, failure, GroupId, Rank);
        else if (_disposed == 0)
            CollectiveLog.FaultedWhileIdle(_logger, GroupId, Rank, failure.Message);
        _inbox.Fail(failure);
        _faulted.TrySetResult();

    }

    private void ThrowIfUnusable()
    {
        _fault?.Throw();
        if (!_connected)
            throw new InvalidOperationException($"Group '{GroupId}' is not connected; obtain groups from CollectiveNode.JoinAsync.");
    }
}
