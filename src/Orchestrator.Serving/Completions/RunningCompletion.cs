using Orchestrator.Serving.Engine;

namespace Orchestrator.Serving.Completions;

/// <summary>
/// A queued request: its id and creation time (shared by every streamed chunk) and its choices' text as produced.
/// Dispose it when the client goes away: its sequences then leave the batch at the next step.
/// </summary>
public sealed class RunningCompletion : IDisposable
{
    private readonly GenerationJob _job;

    internal RunningCompletion(GenerationJob job, CompletionPlan plan, string model)
    {
        _job = job;
        Model = model;
        PromptTokens = plan.PromptTokens;
        ChoiceCount = plan.Sequences.Count;
    }

    public string Id { get; } = $"cmpl-{Guid.NewGuid():N}";
    public long Created { get; } = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
    public string Model { get; }
    public int PromptTokens { get; }
    public int ChoiceCount { get; }

    /// <summary>Every choice's text pieces in the order they were decoded; ends after the last choice finishes.</summary>
    public IAsyncEnumerable<ChoiceEvent> ReadAllAsync(CancellationToken cancellationToken) => _job.Events.ReadAllAsync(cancellationToken);

    /// <summary>Waits for every choice and returns them by index with the token counts.</summary>
    public async Task<CompletionResult> CollectAsync(CancellationToken cancellationToken)
    {
        var texts = Enumerable.Range(0, ChoiceCount).Select(_ => new System.Text.StringBuilder()).ToArray();
        var reasons = new string[ChoiceCount];
        var tokens = new int[ChoiceCount];
        await foreach (var choiceEvent in ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            texts[choiceEvent.Index].Append(choiceEvent.Text);
            if (choiceEvent.FinishReason is { } reason)
                (reasons[choiceEvent.Index], tokens[choiceEvent.Index]) = (reason, choiceEvent.CompletionTokens);
        }
        var choices = Enumerable.Range(0, ChoiceCount).Select(i => new CompletedChoice(i, texts[i].ToString(), reasons[i])).ToArray();
        return new CompletionResult(choices, PromptTokens, tokens.Sum());
    }

    public void Dispose() => _job.Cancel();
}

/// <summary>One finished choice.</summary>
public sealed record CompletedChoice(int Index, string Text, string FinishReason);

/// <summary>All choices of a request and its token usage.</summary>
public sealed record CompletionResult(IReadOnlyList<CompletedChoice> Choices, int PromptTokens, int CompletionTokens);
