using Grpc.Core;
using Orchestrator.Collective.Errors;
using Orchestrator.Collective.Telemetry;

namespace Orchestrator.Collective.Transport;

/// <summary>
/// The ring link to the right neighbour: <see cref="CollectiveOptions.ChannelsPerLink"/> Exchange calls, each on its
/// own connection, over which an operation's chunks go round-robin (chunk i on channel i mod channels), so one
/// connection's flow-control window or one core's share of HTTP/2 framing no longer caps the link. The neighbour
/// reads the channels in the same turn, which keeps every chunk's order and header checks exact. One channel failing
/// fails them all: the ring is then out of step.
/// </summary>
internal sealed class OutgoingLink
{
    private readonly OutgoingChannel[] _channels;
    private readonly Action<CollectiveException> _onFailure;
    private int _failed;

    public OutgoingLink(RingMembership membership, int channels, CollectiveStatistics statistics, CollectiveMetrics metrics,
        Action<CollectiveException> onFailure)
    {
        _onFailure = onFailure;
        _channels = new OutgoingChannel[channels];
        for (var i = 0; i < channels; i++)
            _channels[i] = new OutgoingChannel(membership, i, statistics, metrics, Fail);
        Attached = Task.WhenAll(_channels.Select(c => c.Attached));
    }

    public int Channels => _channels.Length;

    /// <summary>Completes when the right neighbour has connected to receive on every channel.</summary>
    public Task Attached { get; }

    /// <summary>Queues the <paramref name="index"/>-th chunk of an operation on its channel.</summary>
    public void Send(OutgoingChunk chunk, long index) => _channels[(int)(index % _channels.Length)].Send(chunk);

    /// <summary>Completes when everything queued so far, on every channel, is written (see <see cref="OutgoingChannel.FlushAsync"/>).</summary>
    public Task FlushAsync() =>
        _channels.Length == 1 ? _channels[0].FlushAsync() : Task.WhenAll(_channels.Select(c => c.FlushAsync()));

    /// <summary>Serves the right neighbour's Exchange call for one channel; refuses a channel count that differs from this rank's.</summary>
    public Task ServeAsync(int channel, int channels, IServerStreamWriter<OutgoingChunk> stream, ServerCallContext context)
    {
        if (channels != _channels.Length || (uint)channel >= (uint)_channels.Length)
            throw PeerHandshake.Refuse($"the caller opened channel {channel} of {channels}, but this rank sends on {_channels.Length} " +
                                       "channel(s), as its handshake reply said; run the same Orchestrator build on every worker");
        return _channels[channel].ServeAsync(stream, context);
    }

    /// <summary>Stops serving once what is queued is written, on every channel (bounded by <paramref name="drain"/>).</summary>
    public Task CloseAsync(TimeSpan drain) => Task.WhenAll(_channels.Select(c => c.CloseAsync(drain)));

    private void Fail(PeerFailedException failure)
    {
        if (Interlocked.Exchange(ref _failed, 1) == 1)
            return;
        foreach (var channel in _channels)
            channel.Fail(failure);
        _onFailure(failure);
    }
}
