using System.Diagnostics;
using Orchestrator.Inference.Generation;
using TorchSharp;

namespace Orchestrator.Serving.Engine;

/// <summary>
/// The decoding loop's view of one sequence: its slot in the batch, its tokens so far, what it feeds at the next step
/// (a window of the context after admission or a restart, else its last token), its private random generator and text.
/// Owned by the loop thread only.
/// </summary>
internal sealed class ActiveSequence : IDisposable
{
    private readonly List<int> _context;

    public ActiveSequence(GenerationJob job, SequenceSpec spec, torch.Device device)
    {
        Job = job;
        Spec = spec;
        _context = [.. spec.PromptIds];
        Text = new CompletionText(spec.StopSequences);
        Generator = new torch.Generator(spec.Options.Seed ?? (ulong)Random.Shared.NextInt64(), device);
    }

    public GenerationJob Job { get; }
    public SequenceSpec Spec { get; }
    public GenerationOptions Options => Spec.Options;
    public torch.Generator Generator { get; }
    public CompletionText Text { get; }

    /// <summary>The batch slot holding this sequence's decoding state.</summary>
    public int Slot { get; set; }

    /// <summary>The token ids to feed at the next step.</summary>
    public int[] Feed { get; private set; } = [];

    public int Produced { get; private set; }
    public string? FinishReason { get; private set; }
    public long FirstTokenAt { get; private set; }

    public bool IsDone => FinishReason is not null || Job.IsCancelled;

    /// <summary>Starts (or restarts) decoding from the last <paramref name="window"/> tokens of the context.</summary>
    public void FeedWindow(int window) => Feed = _context.GetRange(Math.Max(0, _context.Count - window), Math.Min(window, _context.Count)).ToArray();

    /// <summary>Records a sampled token; the caller decides what to feed next when the sequence goes on.</summary>
    public void Accept(int token, string? finishReason)
    {
        if (Produced == 0) FirstTokenAt = Stopwatch.GetTimestamp();
        Produced++;
        _context.Add(token);
        Feed = [token];
        FinishReason = finishReason;
    }

    public void Dispose() => Generator.Dispose();
}
