using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Orchestrator.Data.Tokenizers;
using Orchestrator.Training.Checkpoints;
using Orchestrator.Common.Storage;
using Orchestrator.Training;

namespace Orchestrator.Inference.Export;

/// <summary>
/// The tokenizer of an exported GPT in Hugging Face's files. GPT-2's vocabulary becomes <c>vocab.json</c> and
/// <c>merges.txt</c> (what <c>GPT2Tokenizer</c> reads); our byte-level BPE becomes a <c>tokenizer.json</c> for the
/// tokenizers library (byte-level BPE with GPT-2's pre-tokenizer regex, which is the one ours splits with). A char
/// vocabulary has no faithful Hugging Face form: it is left out with a warning.
/// </summary>
internal static partial class HfTokenizerFiles
{
    public const string Vocab = "vocab.json";
    public const string Merges = "merges.txt";
    public const string TokenizerJson = "tokenizer.json";

    public static IReadOnlyList<string> Write(ITextTokenizer tokenizer, string sourceDirectory, string directory, ILogger logger)
    {
        if (tokenizer.Kind is not (TokenizerKind.Gpt2 or TokenizerKind.Bpe))
        {
            CharTokenizerLeftOut(logger, tokenizer.Kind);
            return [];
        }
        var vocabulary = ByteLevelVocabulary.From(tokenizer, SpecialIds(tokenizer, sourceDirectory));
        if (tokenizer.Kind == TokenizerKind.Gpt2)
        {
            var vocab = new JsonObject();
            for (var id = 0; id < vocabulary.Tokens.Count; id++) vocab[vocabulary.Tokens[id]] = id;
            DurableFiles.WriteText(Path.Combine(directory, Vocab), vocab.ToJsonString());
            DurableFiles.WriteText(Path.Combine(directory, Merges),
                "#version: 0.2\n" + string.Concat(vocabulary.Merges.Select(m => $"{m.Left} {m.Right}\n")));
            return [Vocab, Merges];
        }
        DurableFiles.WriteText(Path.Combine(directory, TokenizerJson), TokenizersJson(vocabulary).ToJsonString(HfGpt2Export.Indented));
        return [TokenizerJson];
    }

    /// <summary>The tokenizers library's serialization of a byte-level BPE like GPT-2's, with our special tokens as added tokens.</summary>
    private static JsonObject TokenizersJson(ByteLevelVocabulary vocabulary)
    {
        var vocab = new JsonObject();
        for (var id = 0; id < vocabulary.Tokens.Count; id++) vocab[vocabulary.Tokens[id]] = id;
        JsonObject ByteLevel(bool addPrefixSpace) => new() { ["type"] = "ByteLevel", ["add_prefix_space"] = addPrefixSpace, ["trim_offsets"] = true, ["use_regex"] = true };
        return new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = new JsonArray(vocabulary.SpecialTokens.OrderBy(s => s.Key).Select(s => (JsonNode)new JsonObject
            {
                ["id"] = s.Key, ["content"] = s.Value, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
                ["normalized"] = false, ["special"] = true,
            }).ToArray()),
            ["normalizer"] = null,
            ["pre_tokenizer"] = ByteLevel(addPrefixSpace: false),
            ["post_processor"] = ByteLevel(addPrefixSpace: false),
            ["decoder"] = ByteLevel(addPrefixSpace: false),
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = null,
                ["end_of_word_suffix"] = null, ["fuse_unk"] = false, ["byte_fallback"] = false,
                ["vocab"] = vocab,
                ["merges"] = new JsonArray(vocabulary.Merges.Select(m => (JsonNode)JsonValue.Create($"{m.Left} {m.Right}")!).ToArray()),
            },
        };
    }

    /// <summary>The special tokens' ids: those in our tokenizer.json's <c>special_tokens</c>, else the end-of-text token.</summary>
    private static int[] SpecialIds(ITextTokenizer tokenizer, string sourceDirectory)
    {
        var path = Path.Combine(sourceDirectory, "tokenizer.json");
        if (File.Exists(path))
        {
            using var json = JsonDocument.Parse(File.ReadAllBytes(path));
            if (json.RootElement.TryGetProperty("special_tokens", out var special) && special.ValueKind == JsonValueKind.Object)
                return special.EnumerateObject().Select(p => p.Value.GetInt32()).ToArray();
        }
        return tokenizer.EndOfTextId is { } eot ? [eot] : [];
    }

    [LoggerMessage(EventId = 130, Level = LogLevel.Warning,
        Message = "the {Kind} tokenizer has no faithful Hugging Face form: exported without tokenizer files (the model's config.json and weights are complete)")]
    private static partial void CharTokenizerLeftOut(ILogger logger, string kind);
}
