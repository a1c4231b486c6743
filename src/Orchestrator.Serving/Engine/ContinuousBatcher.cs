using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Orchestrator.Data.Tokenizers;
using Orchestrator.Models;
using Orchestrator.Serving.Telemetry;
using Orchestrator.Inference.Generation;
using TorchSharp;
using static TorchSharp.torch;

namespace Orchestrator.Serving.Engine;

/// <summary>
/// Continuous batching: one background thread owns the model and advances every running sequence together, one
/// batched forward per step (plus one for sequences that just joined and need their prompt fed). Sequences join
/// between steps as batch slots free up and leave as soon as they finish, so a long request never holds a short one.
/// <para>
/// Context window, as <see cref="TextGenerator"/>: a prompt longer than block_size keeps its last block_size tokens;
/// when a sequence fills block_size it restarts from its last block_size/2 tokens. A sequence's tokens are those
/// <see cref="TextGenerator"/> produces for the same prompt and options (up to float rounding of batched matmuls).
/// </para>
/// </summary>
public sealed class ContinuousBatcher : IAsyncDisposable
{
    private readonly LanguageModel _model;
    private readonly ITextTokenizer _tokenizer;
    private readonly Device _device;
    private readonly int _maxBatch;
    private readonly int _queueCapacity;
    private readonly ServingMetrics _metrics;
    private readonly ILogger _logger;
    private readonly int _window;
    private readonly int _restartWindow;
    private readonly Lock _gate = new();
    private readonly Queue<(GenerationJob Job, SequenceSpec Spec)> _waiting = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stopping = new(); // not disposed: Submit reads it after stop
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Thread? _thread;
    private int _inFlight;
    private int _running;
    private long _prefillForwards;
    private long _decodeForwards;
    private long _generatedTokens;
    private int _largestDecodeBatch;
    private int _admitWhenWaiting; // HoldAdmissionUntilWaiting's count, under gate; 0 admits at once
    private volatile Exception? _fault;

    /// <summary>
    /// Takes over <paramref name="model"/> (in eval mode on <paramref name="device"/>; from now on only the loop thread
    /// uses it), decoding up to <paramref name="maxBatch"/> sequences together with up to <paramref name="queueCapacity"/> more waiting.
    /// </summary>
    public ContinuousBatcher(LanguageModel model, ITextTokenizer tokenizer, Device device, int maxBatch, int queueCapacity, ServingMetrics metrics, ILogger logger)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBatch);
        ArgumentOutOfRangeException.ThrowIfNegative(queueCapacity);
        (_model, _tokenizer, _device, _maxBatch, _queueCapacity, _metrics, _logger) =
            (model, tokenizer, device, maxBatch, queueCapacity, metrics, logger);
        _window = model.MaxDecodingLength ?? int.MaxValue;
        _restartWindow = Math.Max(1, _window / 2);
        metrics.ObserveQueue(() => WaitingCount, () => Volatile.Read(ref _running));
    }

    /// <summary>Completes once the loop has run a warm-up forward and accepts work; faults if it could not start.</summary>
    public Task Ready => _ready.Task;

    /// <summary>False once the loop thread has died (a bug or a broken device): the process should be restarted.</summary>
    public bool IsHealthy => _fault is null && !_stopped.Task.IsCompleted;

    public int WaitingCount
    {
        get { lock (_gate) return _waiting.Count; }
    }

    public BatcherStatistics Statistics => new(
        Interlocked.Read(ref _prefillForwards),
        Interlocked.Read(ref _decodeForwards),
        Interlocked.Read(ref _generatedTokens),
        Volatile.Read(ref _largestDecodeBatch),
        Volatile.Read(ref _running),
        WaitingCount);

    /// <summary>Starts the loop thread; await <see cref="Ready"/> before relying on it.</summary>
    public void Start()
    {
        if (_thread is not null) throw new InvalidOperationException("The decoding loop is already started.");
        _thread = new Thread(Run) { IsBackground = true, Name = "serving-decode-loop" };
        _thread.Start();
    }

    /// <summary>
    /// Queues all of a request's sequences, or none: throws <see cref="QueueFullException"/> when they would not fit
    /// (free slots plus <c>queueCapacity</c>), <see cref="ServerStoppingException"/> after <see cref="StopAsync"/>.
    /// </summary>
    public GenerationJob Submit(IReadOnlyList<SequenceSpec> sequences)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        if (sequences.Count == 0) throw new ArgumentException("A job needs at least one sequence.", nameof(sequences));
        var job = new GenerationJob(sequences, Withdraw);
        lock (_gate)
        {
            if (_stopping.IsCancellationRequested || _fault is not null) throw new ServerStoppingException();
            if (_inFlight + sequences.Count > _maxBatch + _queueCapacity)
                throw new QueueFullException(Math.Max(0, _inFlight - _maxBatch), sequences.Count, _queueCapacity);
            _inFlight += sequences.Count;
            foreach (var spec in sequences) _waiting.Enqueue((job, spec));
        }
        _wake.Release();
        return job;
    }

    /// <summary>
    /// Test hook: admits nothing until <paramref name="count"/> sequences wait, then all of them in one step, so a test of
    /// batching does not depend on when its concurrent requests happen to arrive. Disposing the result lifts the hold.
    /// </summary>
    internal IDisposable HoldAdmissionUntilWaiting(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        lock (_gate) _admitWhenWaiting = count;
        return new AdmissionHold(this);
    }

    private sealed class AdmissionHold(ContinuousBatcher batcher) : IDisposable
    {
        public void Dispose()
        {
            lock (batcher._gate) batcher._admitWhenWaiting = 0;
            batcher._wake.Release();
        }
    }

    /// <summary>
    /// Takes a cancelled job's waiting sequences out of the queue at once, so they stop counting against its capacity;
    /// its running sequences leave the batch at the next step.
    /// </summary>
    private void Withdraw(GenerationJob job)
    {
        lock (_gate)
        {
            var kept = _waiting.Where(entry => entry.Job != job).ToArray();
            _inFlight -= _waiting.Count - kept.Length;
            _waiting.Clear();
            foreach (var entry in kept) _waiting.Enqueue(entry);
        }
        _wake.Release();
    }

    /// <summary>Stops the loop after its current step; unfinished requests end with <see cref="ServerStoppingException"/>.</summary>
    public async Task StopAsync()
    {
        lock (_gate) _stopping.Cancel();
        if (_thread is null) return;
        await _stopped.Task.ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        // The wake semaphore is not disposed: a client may still cancel its job after the server stopped, and releasing
        // an undisposed SemaphoreSlim that nobody waits on is harmless (it holds no wait handle unless one is asked for).
        await StopAsync().ConfigureAwait(false);
    }

    private void Run()
    {
        var active = new List<ActiveSequence>(_maxBatch);
        try
        {
            using var slots = _model.CreateDecodingSlots(_maxBatch, _device);
            WarmUp(slots);
            _ready.TrySetResult();
            while (!_stopping.IsCancellationRequested)
            {
                if (active.Count == 0 && !WaitForWork()) break;
                Admit(active, slots);
                if (active.Count > 0) StepOrFail(active, slots);
                Retire(active, slots);
            }
        }
        catch (Exception e)
        {
            _fault = e;
            ServingLog.DecodingLoopStopped(_logger, e, e.Message);
            _ready.TrySetException(e);
        }
        finally
        {
            Exception reason = _fault is null ? new ServerStoppingException() : new InvalidOperationException($"The decoding loop failed: {_fault.Message}", _fault);
            foreach (var sequence in active) { sequence.Job.Fail(reason); sequence.Dispose(); }
            lock (_gate)
            {
                foreach (var (job, _) in _waiting) job.Fail(reason);
                _waiting.Clear();
                _inFlight = 0;
            }
            Volatile.Write(ref _running, 0);
            _stopped.TrySetResult();
        }
    }

    /// <summary>Blocks until a job arrives or the loop is stopped; false when stopping.</summary>
    private bool WaitForWork()
    {
        while (true)
        {
            lock (_gate)
                if (_waiting.Count > 0 && _waiting.Count >= _admitWhenWaiting) return true;
            try
            {
                _wake.Wait(_stopping.Token);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
    }

    /// <summary>The first forward pays for lazy initialisation in libtorch; pay it before the first client does.</summary>
    private void WarmUp(DecodingSlots slots)
    {
        using var scope = NewDisposeScope();
        _model.ForwardSlots(zeros([1, 1], ScalarType.Int64, _device), [1], [0], slots);
        slots.Clear(0);
    }

    /// <summary>Moves waiting sequences into free slots <c>active.Count..</c>, dropping those whose client went away.</summary>
    private void Admit(List<ActiveSequence> active, DecodingSlots slots)
    {
        var dropped = 0;
        lock (_gate)
        {
            if (_waiting.Count < _admitWhenWaiting) return;
            _admitWhenWaiting = 0;
            while (_waiting.Count > 0 && (active.Count < _maxBatch || _waiting.Peek().Job.IsCancelled))
            {
                var (job, spec) = _waiting.Dequeue();
                if (job.IsCancelled)
                {
                    dropped++;
                    continue;
                }
                var sequence = new ActiveSequence(job, spec, _device) { Slot = active.Count };
                slots.Clear(sequence.Slot);
                sequence.FeedWindow(_window);
                active.Add(sequence);
            }
            _inFlight -= dropped;
        }
        Volatile.Write(ref _running, active.Count);
    }

    /// <summary>One step; a failure (e.g. out of device memory) fails the requests in the batch, not the server.</summary>
    private void StepOrFail(List<ActiveSequence> active, DecodingSlots slots)
    {
        try
        {
            Step(active, slots);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            ServingLog.DecodingStepFailed(_logger, e, active.Count, e.Message);
            foreach (var sequence in active)
            {
                sequence.Job.Fail(e);
                sequence.Job.Cancel();
            }
        }
    }

    private void Step(List<ActiveSequence> active, DecodingSlots slots)
    {
        using var scope = NewDisposeScope();
        var prefill = active.Where(s => !s.IsDone && s.Feed.Length > 1).ToList();
        var decode = active.Where(s => !s.IsDone && s.Feed.Length == 1).ToList();
        if (prefill.Count > 0) Forward(prefill, slots, isPrefill: true);
        if (decode.Count > 0) Forward(decode, slots, isPrefill: false);
    }

    /// <summary>Feeds each sequence's pending tokens in one batched forward and samples every row's next token.</summary>
    private void Forward(List<ActiveSequence> group, DecodingSlots slots, bool isPrefill)
    {
        var rows = group.Count;
        var time = group.Max(s => s.Feed.Length);
        var ids = new long[rows * time];
        var counts = new int[rows];
        var slotIds = new int[rows];
        for (var row = 0; row < rows; row++)
        {
            var feed = group[row].Feed;
            for (var i = 0; i < feed.Length; i++) ids[row * time + i] = feed[i];
            (counts[row], slotIds[row]) = (feed.Length, group[row].Slot);
        }

        var logits = _model.ForwardSlots(tensor(ids, [rows, time], device: _device), counts, slotIds, slots); // (B, T, V)
        var lastPositions = tensor(counts.Select(c => (long)c - 1).ToArray(), device: _device);
        var last = logits.index(TensorIndex.Tensor(arange(rows, dtype: ScalarType.Int64, device: _device)), TensorIndex.Tensor(lastPositions)); // (B, V)
        var greedy = group.Any(s => s.Options.Temperature == 0) ? last.argmax(-1).cpu().data<long>().ToArray() : null;

        if (isPrefill) Interlocked.Increment(ref _prefillForwards);
        else
        {
            Interlocked.Increment(ref _decodeForwards);
            if (rows > _largestDecodeBatch) Volatile.Write(ref _largestDecodeBatch, rows);
        }
        _metrics.Forward(isPrefill, rows);

        for (var row = 0; row < rows; row++)
        {
            var sequence = group[row];
            var token = sequence.Options.Temperature == 0 ? (int)greedy![row] : TokenSampler.Sample(last[row], sequence.Options, sequence.Generator);
            Advance(sequence, token, slots);
        }
        Interlocked.Add(ref _generatedTokens, rows);
        _metrics.TokensGenerated(rows);
    }

    /// <summary>Takes a sampled token: text, stop conditions, the event for the client, and what to feed next.</summary>
    private void Advance(ActiveSequence sequence, int token, DecodingSlots slots)
    {
        string piece;
        string? finish = null;
        if (_tokenizer.EndOfTextId == token)
        {
            finish = FinishReasons.Stop;
            piece = sequence.Text.Flush();
        }
        else
        {
            piece = sequence.Text.Append(_tokenizer.Decode([token]));
            if (sequence.Text.StopFound) finish = FinishReasons.Stop;
            else if (sequence.Produced + 1 >= sequence.Options.MaxTokens)
            {
                finish = FinishReasons.Length;
                piece += sequence.Text.Flush();
            }
        }
        sequence.Accept(token, finish);

        if (sequence.Job.MarkFirstToken())
            _metrics.FirstToken(Stopwatch.GetElapsedTime(sequence.Job.EnqueuedAt).TotalSeconds);
        if (finish is not null)
            _metrics.ChoiceFinished(sequence.Produced, Stopwatch.GetElapsedTime(sequence.FirstTokenAt).TotalSeconds);
        if (piece.Length > 0 || finish is not null)
            sequence.Job.Publish(new ChoiceEvent(sequence.Spec.Index, piece, finish, sequence.Produced));

        if (finish is null && slots.Capacity is { } capacity && slots.LengthOf(sequence.Slot) + 1 > capacity)
        {
            // The context filled block_size: start a fresh state from the most recent half, as TextGenerator does.
            slots.Clear(sequence.Slot);
            sequence.FeedWindow(_restartWindow);
        }
    }

    /// <summary>Removes finished and cancelled sequences, moving the last running ones into their slots.</summary>
    private void Retire(List<ActiveSequence> active, DecodingSlots slots)
    {
        var retired = 0;
        for (var slot = active.Count - 1; slot >= 0; slot--)
        {
            if (!active[slot].IsDone) continue;
            active[slot].Dispose();
            var last = active.Count - 1;
            if (slot != last)
            {
                slots.Move(last, slot);
                active[slot] = active[last];
                active[slot].Slot = slot;
            }
            else
            {
                slots.Clear(slot);
            }
            active.RemoveAt(last);
            retired++;
        }
        if (retired == 0) return;
        lock (_gate) _inFlight -= retired;
        Volatile.Write(ref _running, active.Count);
    }
}
