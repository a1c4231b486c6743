using Orchestrator.Common.Security;
namespace Orchestrator.Collective;

/// <summary>
/// Tuning and safety limits of the gradient exchange, bound from the "Collective" configuration section. Every rank
/// of a group should use the same values (the wire format tolerates differences, but timeouts and bucket sizes that
/// differ make failures harder to read and bucket plans must agree).
/// </summary>
public sealed class CollectiveOptions
{
    public const string SectionName = "Collective";

    /// <summary>The most payload bytes one message may carry; kept well under gRPC's message limit.</summary>
    public const int MaxChunkBytes = 16 << 20;

    public const int MinChunkBytes = 4 << 10;

    /// <summary>The most connections one ring link may be split across.</summary>
    public const int MaxChannelsPerLink = 16;

    /// <summary>Slack above the largest chunk for the protobuf header of a message.</summary>
    public const int MessageOverheadBytes = 64 << 10;

    /// <summary>
    /// Deadline of one collective operation, counted from the call (so it includes time queued behind earlier
    /// operations). A dead or stuck peer makes the operation fail after this long instead of hanging.
    /// </summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How long joining a group waits for both ring neighbours to be up and connected.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Payload bytes per message (float32 elements × 4); bf16 messages carry the same elements in half. Received
    /// payloads land in pooled buffers whatever the size (no large-object-heap churn); 256 KiB and 1 MiB measured no
    /// faster than the default on the shared 2-core benchmark machine, and smaller messages pipeline the ring better.
    /// </summary>
    public int ChunkBytes { get; set; } = 64 << 10;

    /// <summary>
    /// Connections (HTTP/2 channels, each with its own flow-control window and socket) per ring link; an operation's
    /// chunks go round-robin across them. More than one helps where a single connection cannot fill the link: a long
    /// bandwidth × delay product against one window, or one core's worth of framing on a fast link. The receiver
    /// opens as many as this rank announces, so ranks may differ.
    /// </summary>
    public int ChannelsPerLink { get; set; } = 1;

    /// <summary>Target size of a gradient bucket: buffers are packed into buckets of about this size.</summary>
    public long BucketBytes { get; set; } = 25L << 20;

    /// <summary>
    /// Send float payloads as bfloat16 (round to nearest even), halving the bytes on the wire. Accumulation stays
    /// float32; results lose precision to about 3 significant digits, identically on every rank.
    /// </summary>
    public bool CompressBf16 { get; set; }

    /// <summary>
    /// Initial HTTP/2 flow-control window (bytes) this rank grants the left neighbour's stream. Small windows stall
    /// the sender every few kilobytes until the client's window scaling catches up; at most 16 MiB (the .NET client's
    /// limit).
    /// </summary>
    public int Http2WindowBytes { get; set; } = 16 << 20;

    /// <summary>
    /// The most bytes the socket of this rank's link to its right neighbour may hold not yet sent (TCP_NOTSENT_LOWAT,
    /// Linux). Beyond it this rank's writes wait for the link, so a slow link shows as this rank's send wait
    /// (<see cref="Telemetry.CollectiveStatistics.SendingTime"/>) instead of hiding in a kernel send buffer that grows to
    /// 4 MiB, and a chunk never queues behind megabytes already handed over. 512 KiB is 4 ms of a 1 Gbit/s link; 0 leaves
    /// the kernel's behaviour. Applied by the listener (<see cref="Hosting.UnsentBytesLimitExtensions.LimitUnsentBytes"/>).
    /// </summary>
    public int UnsentBytesLimit { get; set; } = 512 << 10;

    /// <summary>
    /// The cluster's shared secret (see <see cref="ClusterToken"/>): sent to every neighbour and required of
    /// every caller of this rank's peer service. Null leaves the service open to anyone who can reach its port.
    /// </summary>
    public string? ClusterToken { get; set; }

    /// <summary>
    /// Mutual TLS for this rank's server and its channels to neighbours (see <see cref="MutualTlsOptions"/>);
    /// off unless its paths are set (e.g. Collective__Tls__CertificatePath).
    /// </summary>
    public MutualTlsOptions Tls { get; set; } = new();

    /// <summary>Throws when a value is out of range, naming the option and what to do.</summary>
    public void Validate()
    {
        if (OperationTimeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(OperationTimeout), OperationTimeout,
                $"{SectionName}:{nameof(OperationTimeout)} must be positive, e.g. 00:02:00.");
        if (ConnectTimeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(ConnectTimeout), ConnectTimeout,
                $"{SectionName}:{nameof(ConnectTimeout)} must be positive, e.g. 00:01:00.");
        if (ChunkBytes is < MinChunkBytes or > MaxChunkBytes || ChunkBytes % 8 != 0)
            throw new ArgumentOutOfRangeException(nameof(ChunkBytes), ChunkBytes,
                $"{SectionName}:{nameof(ChunkBytes)} must be a multiple of 8 between {MinChunkBytes} and {MaxChunkBytes} bytes; 65536 (64 KiB) is a good start.");
        if (ChannelsPerLink is < 1 or > MaxChannelsPerLink)
            throw new ArgumentOutOfRangeException(nameof(ChannelsPerLink), ChannelsPerLink,
                $"{SectionName}:{nameof(ChannelsPerLink)} must be between 1 and {MaxChannelsPerLink}; 1 is a good start.");
        if (BucketBytes < 4)
            throw new ArgumentOutOfRangeException(nameof(BucketBytes), BucketBytes,
                $"{SectionName}:{nameof(BucketBytes)} must hold at least one float; 26214400 (25 MiB) is a good start.");
        if (UnsentBytesLimit is < 0 or (> 0 and < 16 << 10))
            throw new ArgumentOutOfRangeException(nameof(UnsentBytesLimit), UnsentBytesLimit,
                $"{SectionName}:{nameof(UnsentBytesLimit)} must be 0 (the kernel's default) or at least 16384 bytes; 524288 (512 KiB) is a good start.");
        if (Http2WindowBytes is < 65_535 or > 16 << 20)
            throw new ArgumentOutOfRangeException(nameof(Http2WindowBytes), Http2WindowBytes,
                $"{SectionName}:{nameof(Http2WindowBytes)} must be between 65535 and 16777216 bytes.");
        Orchestrator.Common.Security.ClusterToken.Validate(ClusterToken, $"{SectionName}:{nameof(ClusterToken)}");
        Tls.Validate($"{SectionName}:{nameof(Tls)}");
    }
}
