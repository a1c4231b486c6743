namespace Orchestrator.Serving.Completions;

/// <summary>
/// A completion request as the client sent it, before range checks: the common form of the HTTP body and the gRPC
/// message, so both protocols share one validation and give the same answers. Null means "not given" (use the default).
/// </summary>
public sealed record CompletionRequest
{
    public string? Model { get; init; }
    public IReadOnlyList<string> Prompts { get; init; } = [];
    public int? MaxTokens { get; init; }
    public double? Temperature { get; init; }
    public double? TopP { get; init; }
    public int? TopK { get; init; }
    public IReadOnlyList<string> Stop { get; init; } = [];
    public long? Seed { get; init; }
    public int? N { get; init; }
}
