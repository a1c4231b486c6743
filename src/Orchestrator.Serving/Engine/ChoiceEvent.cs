namespace Orchestrator.Serving.Engine;

/// <summary>Why a choice ended, in the words of the OpenAI API.</summary>
public static class FinishReasons
{
    /// <summary>A stop sequence or the end-of-text token was produced.</summary>
    public const string Stop = "stop";

    /// <summary><c>max_tokens</c> were produced.</summary>
    public const string Length = "length";
}

/// <summary>
/// A piece of one choice's text as the decoding loop produced it; the last event of a choice carries its
/// <see cref="FinishReason"/> and token count.
/// </summary>
public sealed record ChoiceEvent(int Index, string Text, string? FinishReason, int CompletionTokens);
