using System.Diagnostics;
using System.Threading.Channels;

namespace Orchestrator.Serving.Engine;

/// <summary>
/// One request's sequences inside the decoding loop and the channel their text arrives on, in the order it is
/// produced. The channel completes after every choice has finished, or with the error that stopped them.
/// Cancel it (or dispose it) when the client goes away, so its batch slots are freed at the next step.
/// </summary>
public sealed class GenerationJob : IDisposable
{
    private readonly Channel<ChoiceEvent> _events = Channel.CreateUnbounded<ChoiceEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly Action<GenerationJob> _cancelled;
    private int _finished;
    private int _cancelledFlag;
    private int _firstTokenSeen;

    /// <summary>Queues nothing by itself; <paramref name="cancelled"/> is called once on cancellation, so the loop can withdraw the queued <paramref name="sequences"/> at once.</summary>
    internal GenerationJob(IReadOnlyList<SequenceSpec> sequences, Action<GenerationJob> cancelled)
    {
        Sequences = sequences;
        _cancelled = cancelled;
        EnqueuedAt = Stopwatch.GetTimestamp();
    }

    public IReadOnlyList<SequenceSpec> Sequences { get; }

    public ChannelReader<ChoiceEvent> Events => _events.Reader;

    internal long EnqueuedAt { get; }

    internal bool IsCancelled => Volatile.Read(ref _cancelledFlag) == 1;

    /// <summary>Stops decoding this job's sequences at the next step; the channel then completes without further events.</summary>
    public void Cancel()
    {
        if (Interlocked.Exchange(ref _cancelledFlag, 1) == 1) return;
        _events.Writer.TryComplete(new OperationCanceledException("The completion was cancelled."));
        _cancelled(this);
    }

    /// <summary>True the first time it is called: the job's first token has just been produced.</summary>
    internal bool MarkFirstToken() => Interlocked.Exchange(ref _firstTokenSeen, 1) == 0;

    internal void Publish(ChoiceEvent choiceEvent)
    {
        _events.Writer.TryWrite(choiceEvent);
        if (choiceEvent.FinishReason is not null && Interlocked.Increment(ref _finished) == Sequences.Count)
            _events.Writer.TryComplete();
    }

    internal void Fail(Exception error) => _events.Writer.TryComplete(error);

    public void Dispose() => Cancel();
}
