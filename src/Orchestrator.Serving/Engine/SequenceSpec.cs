using Orchestrator.Inference.Generation;

namespace Orchestrator.Serving.Engine;

/// <summary>One sequence to decode: a choice of a request, with its already validated prompt ids and sampling options.</summary>
public sealed record SequenceSpec(int Index, IReadOnlyList<int> PromptIds, GenerationOptions Options, IReadOnlyList<string> StopSequences);
