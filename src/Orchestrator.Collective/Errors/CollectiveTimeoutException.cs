namespace Orchestrator.Collective.Errors;

/// <summary>
/// An operation missed its deadline (<see cref="CollectiveOptions.OperationTimeout"/>) while waiting on
/// <see cref="PeerRank"/>: that peer, or one before it in the ring, is dead or stuck. Raised instead of hanging.
/// </summary>
public sealed class CollectiveTimeoutException : CollectiveException
{
    public CollectiveTimeoutException(int peerRank, Uri peerEndpoint, TimeSpan timeout, string message)
        : base(message)
    {
        PeerRank = peerRank;
        PeerEndpoint = peerEndpoint;
        Timeout = timeout;
    }

    public int PeerRank { get; }

    public Uri PeerEndpoint { get; }

    public TimeSpan Timeout { get; }
}
