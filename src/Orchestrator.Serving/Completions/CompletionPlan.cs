using Orchestrator.Serving.Engine;

namespace Orchestrator.Serving.Completions;

/// <summary>A validated request: one sequence per choice (prompt-major, as OpenAI numbers choices) and the prompts' token count.</summary>
public sealed record CompletionPlan(IReadOnlyList<SequenceSpec> Sequences, int PromptTokens);
