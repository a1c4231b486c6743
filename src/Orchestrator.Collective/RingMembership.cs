namespace Orchestrator.Collective;

/// <summary>
/// Who is in a group and in which order: the ring runs rank 0 → 1 → … → N−1 → 0, so every rank must receive the
/// same <see cref="Peers"/> list (the coordinator hands it out). <see cref="GroupId"/> names one incarnation of the
/// group; use a new id after any membership change so stale links can never join.
/// </summary>
public sealed record RingMembership(string GroupId, int Rank, IReadOnlyList<Uri> Peers)
{
    public int WorldSize => Peers.Count;

    /// <summary>
    /// Send this group's all-reduce payloads as bf16 (half the bytes; accumulation stays float32). A property of the
    /// group, not of the node, because every rank must agree on it; <see cref="CollectiveOptions.CompressBf16"/> turns it
    /// on for every group of a node.
    /// </summary>
    public bool CompressBf16 { get; init; }

    /// <summary>The rank this one sends to.</summary>
    public int RightRank => (Rank + 1) % WorldSize;

    /// <summary>The rank this one receives from.</summary>
    public int LeftRank => (Rank + WorldSize - 1) % WorldSize;

    public Uri RightEndpoint => Peers[RightRank];

    public Uri LeftEndpoint => Peers[LeftRank];

    /// <summary>Throws when the membership cannot describe a ring, naming the value at fault.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(GroupId))
            throw new ArgumentException("A collective group needs a non-empty GroupId, e.g. \"job-7/generation-3\".", nameof(GroupId));
        if (Peers is null || Peers.Count == 0)
            throw new ArgumentException($"Group '{GroupId}' has no peers; list one endpoint per rank, in rank order.", nameof(Peers));
        if (Rank < 0 || Rank >= Peers.Count)
            throw new ArgumentOutOfRangeException(nameof(Rank), Rank,
                $"Rank {Rank} is outside group '{GroupId}' of world size {Peers.Count}; ranks run from 0 to {Peers.Count - 1}.");
        for (var i = 0; i < Peers.Count; i++)
        {
            var peer = Peers[i];
            if (peer is null || !peer.IsAbsoluteUri || peer.Scheme is not ("http" or "https"))
                throw new ArgumentException(
                    $"Peer {i} of group '{GroupId}' is '{peer}'; collective peers are HTTP/2 endpoints such as http://10.0.0.5:7070 (https with mutual TLS).",
                    nameof(Peers));
        }
    }
}
