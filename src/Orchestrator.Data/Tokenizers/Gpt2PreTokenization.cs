using System.Text.RegularExpressions;

namespace Orchestrator.Data.Tokenizers;

/// <summary>
/// The GPT-2 pre-tokenizer regex shared by the bpe trainer and the library encoder (they must split text identically,
/// or the trained merges would not describe what the encoder sees), plus the places where a long text may be cut
/// into independently encoded chunks without changing a single token.
/// </summary>
public static partial class Gpt2PreTokenization
{
    /// <summary>The GPT-2 split pattern, as written in GPT-2's encoder.py.</summary>
    public const string Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    /// <summary>The compiled pattern (source-generated, so no start-up compilation cost).</summary>
    [GeneratedRegex(Pattern, RegexOptions.CultureInvariant)]
    public static partial Regex SplitRegex();

    /// <summary>
    /// The regex the library uses to find special tokens before pre-tokenizing (an alternation of the escaped tokens,
    /// in the given order); the trainer uses the same one so both split at the same places. Null when there are none.
    /// </summary>
    public static Regex? SpecialTokensRegex(IReadOnlyList<string> specialTokens) =>
        specialTokens.Count == 0
            ? null
            : new Regex(string.Join("|", specialTokens.Select(Regex.Escape)), RegexOptions.Compiled | RegexOptions.CultureInvariant);

    /// <summary>
    /// True when pre-tokenizing <c>text[..index]</c> and <c>text[index..]</c> separately gives exactly the pieces of
    /// pre-tokenizing the whole text. That holds right after a lone <c>\n</c> between two non-whitespace characters:
    /// every piece holding the <c>\n</c> is whitespace only, so it cannot reach the next character, and because the
    /// whitespace run is that single <c>\n</c>, the <c>\s+(?!\S)</c> look-ahead yields the piece <c>"\n"</c> whether it
    /// sees the next character or the end of the chunk (after <c>"  \n"</c> it would not: the whole text gives
    /// <c>"  "</c>, <c>"\n"</c> but the chunk alone gives <c>"  \n"</c>). Special tokens must not contain <c>\n</c>
    /// for this to hold across them (see <see cref="CanChunk"/>).
    /// </summary>
    public static bool IsSafeCut(ReadOnlySpan<char> text, int index) =>
        index >= 2 && index < text.Length
        && text[index - 1] == '\n'
        && !char.IsWhiteSpace(text[index - 2])
        && !char.IsWhiteSpace(text[index]);

    /// <summary>Chunking at <see cref="IsSafeCut"/> points is exact only when no special token spans a line break.</summary>
    public static bool CanChunk(IEnumerable<string> specialTokens) => !specialTokens.Any(s => s.Contains('\n'));

    /// <summary>
    /// Cuts <paramref name="text"/> into pieces of roughly <paramref name="targetChars"/> characters at safe cut points
    /// (a piece grows past the target until the next safe point; text without one stays whole).
    /// </summary>
    public static List<Range> Chunk(string text, int targetChars)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(targetChars, 1);
        var pieces = new List<Range>();
        int start = 0;
        while (text.Length - start > targetChars)
        {
            int cut = text.IndexOf('\n', start + targetChars - 1);
            while (cut >= 0 && !IsSafeCut(text, cut + 1))
            {
                cut = text.IndexOf('\n', cut + 1);
            }

            if (cut < 0)
            {
                break;
            }

            pieces.Add(start..(cut + 1));
            start = cut + 1;
        }

        pieces.Add(start..text.Length);
        return pieces;
    }
}
