using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orchestrator.Collective.Telemetry;
using Orchestrator.Common.Security;

namespace Orchestrator.Collective;

/// <summary>
/// This process's place in the collective layer: the groups it has joined, found by the gRPC service when a
/// neighbour connects. One per process (registered by <c>AddCollective</c>); join a group with
/// <see cref="JoinAsync"/> once the coordinator has handed out ranks and endpoints.
/// </summary>
public sealed class CollectiveNode : IAsyncDisposable
{
    private readonly ConcurrentDictionary<(string GroupId, int Rank), CollectiveGroup> _groups = new();
    private readonly CollectiveMetrics _metrics;
    private readonly ILoggerFactory _loggerFactory;

    public CollectiveNode(IOptions<CollectiveOptions> options, CollectiveMetrics metrics, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options.Value;
        Options.Validate();
        _metrics = metrics;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        if (!ClusterToken.IsSet(Options.ClusterToken))
            ClusterTokenLog.Unauthenticated(_loggerFactory.CreateLogger<CollectiveNode>(), "The collective peer service", "--cluster-token");
    }

    public CollectiveOptions Options { get; }

    /// <summary>
    /// Joins a ring: connects to the right neighbour (waiting for it to start, up to
    /// <see cref="CollectiveOptions.ConnectTimeout"/>) and waits for the left one to connect. Completes when this
    /// rank can run collective operations. Every rank of the group must call it.
    /// </summary>
    public async Task<CollectiveGroup> JoinAsync(RingMembership membership, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(membership);
        membership.Validate();
        var group = new CollectiveGroup(this, membership, Options, _metrics, _loggerFactory);
        if (!_groups.TryAdd((membership.GroupId, membership.Rank), group))
            throw new InvalidOperationException(
                $"Rank {membership.Rank} of group '{membership.GroupId}' has already joined on this node; dispose it first, " +
                "or use a new GroupId for a new incarnation of the group.");
        try
        {
            await group.ConnectAsync(cancellationToken).ConfigureAwait(false);
            return group;
        }
        catch
        {
            await group.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var group in _groups.Values)
            await group.DisposeAsync().ConfigureAwait(false);
    }

    internal bool TryGetGroup(string groupId, int rank, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out CollectiveGroup group) =>
        _groups.TryGetValue((groupId, rank), out group);

    internal void Remove(CollectiveGroup group) =>
        _groups.TryRemove(new KeyValuePair<(string, int), CollectiveGroup>((group.GroupId, group.Rank), group));
}
