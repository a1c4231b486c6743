using System.Text;
using Orchestrator.Data.Tokenizers;
using Orchestrator.Data.Tokenizers.Bpe;

namespace Orchestrator.Data.Tests.Tokenizers;

/// <summary>
/// Inputs shared by the tokenizer tests: tinyshakespeare (read-only, ../shared/data beside the repository root) and one
/// bpe vocabulary trained on it, trained once per test run because several tests compare against the same merges.
/// </summary>
internal static class TokenizerTestData
{
    public const int TrainedVocabSize = 2048;

    private static readonly Lazy<string> TinyShakespeareText = new(() => File.ReadAllText(RepositoryPaths.TinyShakespeare));
    private static readonly Lazy<BpeVocabulary> TinyShakespeareVocabulary = new(() =>
        BpeTrainer.Train([TinyShakespeare], TrainedVocabSize, [TokenizerKind.EndOfText]));

    public static string TinyShakespeare => TinyShakespeareText.Value;

    /// <summary>Our bpe trained on tinyshakespeare at <see cref="TrainedVocabSize"/> with <c>&lt;|endoftext|&gt;</c>.</summary>
    public static BpeVocabulary ShakespeareBpe => TinyShakespeareVocabulary.Value;

    /// <summary>Text built to break byte-level tokenizers: every UTF-8 length, odd whitespace, the special token's text, controls.</summary>
    public static IEnumerable<string> HostileTexts() =>
    [
        "",
        "\0",
        "a\0b\0\0c",
        "😀",
        "👩‍👩‍👧‍👦 family, 🇫🇷 flag, 1️⃣ keycap",
        "日本語のテキストと中文混合",
        "e\u0301 combining, Å vs A\u030A",
        "\uFEFFbyte order mark",
        "\uFFFD replacement char, \uFFFF noncharacter, \U0010FFFF last scalar",
        "right-to-left: שלום עולם مرحبا",
        "tabs\tand\r\nCRLF\rCR\u2028LS\u2029PS\u0085NEL\u00A0NBSP",
        "   leading and trailing   ",
        "\n\n\n\n",
        "<|endoftext|>",
        "before<|endoftext|>after<|endoftext|>",
        "<|endoftext| and <|endof",
        "it's we're they've I'm you'll he'd 'S 'RE",
        "𝐀𝐁𝐂 math letters, ٣٤٥ Arabic digits, Ⅻ roman numeral",
        "\u200B\u200Czero width\u200D",
        new string('x', 5000),
        string.Concat(Enumerable.Repeat("ab ", 2000)),
    ];

    /// <summary>Byte sequences that are not valid UTF-8: lone continuation bytes, overlong forms, encoded surrogates, truncations.</summary>
    public static IEnumerable<byte[]> InvalidUtf8() =>
    [
        [0xFF],
        [0x80],
        [0x61, 0xFF, 0x62],
        [0xC0, 0xAF],
        [0xED, 0xA0, 0x80],
        [0xED, 0xBF, 0xBF, 0x61],
        [0xE2, 0x82],
        [0xF0, 0x9F, 0x98],
        [0xF4, 0x90, 0x80, 0x80],
        [.. "text then "u8, 0xFE, 0xFE, .. " more"u8, 0xC3],
        [.. "<|endoftext|>"u8, 0x80, .. "<|endoftext|>"u8],
        [0x00, 0xFF, 0x00],
    ];

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}

/// <summary>Collects progress reports synchronously (Progress&lt;T&gt; posts them later on the thread pool).</summary>
internal sealed class RecordingProgress<T> : IProgress<T>
{
    private readonly List<T> _reports = [];

    public IReadOnlyList<T> Reports
    {
        get
        {
            lock (_reports)
            {
                return [.. _reports];
            }
        }
    }

    public void Report(T value)
    {
        lock (_reports)
        {
            _reports.Add(value);
        }
    }
}

/// <summary>A fresh folder under the temp directory, deleted when disposed.</summary>
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("orchestrator-tokenizers-").FullName;

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
