namespace Orchestrator.Collective.Errors;

/// <summary>
/// A ring neighbour could not be reached, closed its link or broke it. <see cref="PeerRank"/> and
/// <see cref="PeerEndpoint"/> name the peer, so the coordinator knows which worker to replace.
/// </summary>
public sealed class PeerFailedException : CollectiveException
{
    public PeerFailedException(int peerRank, Uri peerEndpoint, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        PeerRank = peerRank;
        PeerEndpoint = peerEndpoint;
    }

    public int PeerRank { get; }

    public Uri PeerEndpoint { get; }
}
