namespace Orchestrator.Inference.Generation;

/// <summary>
/// How to turn a model's next-token distribution into text. The same record serves the CLI, the HTTP/gRPC server and
/// evaluation samples, so a request reproduces exactly when it carries a <see cref="Seed"/>.
/// </summary>
public sealed record GenerationOptions
{
    /// <summary>How many tokens to generate after the prompt.</summary>
    public int MaxTokens { get; init; } = 200;

    /// <summary>Divides the logits before sampling: below 1 sharper, above 1 flatter; 0 means greedy (always the most likely token).</summary>
    public double Temperature { get; init; } = 0.8;

    /// <summary>When set, sample only among the <c>k</c> most likely tokens.</summary>
    public int? TopK { get; init; }

    /// <summary>When set, sample only among the most likely tokens whose probabilities add up to at least <c>p</c> (nucleus sampling).</summary>
    public double? TopP { get; init; }

    /// <summary>Seeds a private random generator, so the same request gives the same text; when null a random seed is drawn.</summary>
    public ulong? Seed { get; init; }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first option out of range and its valid range.</summary>
    public void Validate()
    {
        if (MaxTokens < 0)
            throw new ArgumentOutOfRangeException(nameof(MaxTokens), MaxTokens, "MaxTokens must be zero or more.");
        if (double.IsNaN(Temperature) || Temperature < 0)
            throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "Temperature must be zero (greedy) or positive.");
        if (TopK is < 1)
            throw new ArgumentOutOfRangeException(nameof(TopK), TopK, "TopK must be at least 1 when set.");
        if (TopP is { } p && (double.IsNaN(p) || p <= 0 || p > 1))
            throw new ArgumentOutOfRangeException(nameof(TopP), TopP, "TopP must be in (0, 1] when set.");
    }
}
