using Orchestrator.Data.Tokenizers;
using Orchestrator.Models;
using static TorchSharp.torch;

namespace Orchestrator.Serving.Completions;

/// <summary>The one model a server answers for: what clients call it, and what turns text into ids and back.</summary>
public sealed record ServedModel(string Name, LanguageModel Model, ITextTokenizer Tokenizer, Device Device, long CreatedUnixSeconds, string CheckpointDirectory);
