using System.Text.Json.Serialization;

namespace Orchestrator.Data.Shards;

/// <summary>
/// Element type of a token shard on disk. uint16 halves disk and page-cache use and covers char, bpe and GPT-2
/// vocabularies; uint32 is used only when a vocabulary has more than 65,535 ids.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<TokenDType>))]
public enum TokenDType
{
    [JsonStringEnumMemberName("uint16")] UInt16,
    [JsonStringEnumMemberName("uint32")] UInt32,
}

/// <summary>Sizes, limits and names of <see cref="TokenDType"/>, so the writer, the reader and meta.json agree on them.</summary>
public static class TokenDTypeExtensions
{
    /// <summary>Bytes per token on disk.</summary>
    public static int SizeInBytes(this TokenDType dtype) => dtype switch
    {
        TokenDType.UInt16 => sizeof(ushort),
        TokenDType.UInt32 => sizeof(uint),
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown token dtype."),
    };

    /// <summary>Largest token id the dtype can store.</summary>
    public static long MaxId(this TokenDType dtype) => dtype switch
    {
        TokenDType.UInt16 => ushort.MaxValue,
        TokenDType.UInt32 => uint.MaxValue,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown token dtype."),
    };

    /// <summary>The smallest dtype for a vocabulary: uint32 once the vocabulary exceeds 65,535 ids.</summary>
    public static TokenDType ForVocabulary(int vocabSize) =>
        vocabSize > 65_535 ? TokenDType.UInt32 : TokenDType.UInt16;

    /// <summary>The name used in meta.json and messages: <c>uint16</c> or <c>uint32</c>.</summary>
    public static string Name(this TokenDType dtype) => dtype == TokenDType.UInt16 ? "uint16" : "uint32";
}
