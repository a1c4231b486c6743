namespace Orchestrator.Collective.Errors;

/// <summary>
/// A peer speaks another version of orchestrator.collective: workers of different builds must not exchange
/// gradients, because a silent misreading would corrupt the model rather than fail.
/// </summary>
public sealed class ProtocolMismatchException : CollectiveException
{
    public ProtocolMismatchException(Uri peerEndpoint, uint localVersion, uint peerVersion)
        : base($"The collective peer at {peerEndpoint} speaks protocol version {peerVersion} but this worker speaks " +
               $"version {localVersion} (orchestrator.collective.v1). Run the same Orchestrator build on every worker.")
    {
        PeerEndpoint = peerEndpoint;
        LocalVersion = localVersion;
        PeerVersion = peerVersion;
    }

    public Uri PeerEndpoint { get; }

    public uint LocalVersion { get; }

    public uint PeerVersion { get; }
}
