using System.Text.RegularExpressions;
using Orchestrator.Data.Tokenizers;
using static Orchestrator.Data.Tests.Tokenizers.TokenizerTestData;

namespace Orchestrator.Data.Tests.Tokenizers;

/// <summary>The trainer's fast splitter and the chunking rule must agree with the GPT-2 regex the library encodes with.</summary>
public sealed class Gpt2PreTokenizationTests
{
    private static readonly Regex Reference = new(Gpt2PreTokenization.Pattern);

    // Characters that sit on the pattern's edges: each contraction's letters, apostrophes, every class of whitespace,
    // letters and digits outside ASCII, surrogate pairs (which .NET regex sees as two "other" units), format characters.
    private const string Alphabet = "  \n\n\t\r\u000B\u0085\u00A0\u2028\u3000'''strevmld aZé日٣Ⅻ5!?.,-\u200B\uD835\uDC00";

    private static List<string> RegexPieces(string text) => Reference.Matches(text).Select(m => m.Value).ToList();

    private static List<string> SplitterPieces(string text)
    {
        var pieces = new List<string>();
        for (int i = 0; i < text.Length;)
        {
            int length = Gpt2PieceSplitter.PieceLength(text, i);
            pieces.Add(text.Substring(i, length));
            i += length;
        }

        return pieces;
    }

    private static string RandomText(Random random, int length) =>
        new(Enumerable.Range(0, length).Select(_ => Alphabet[random.Next(Alphabet.Length)]).ToArray());

    [Fact]
    public void The_fast_splitter_cuts_hostile_text_exactly_like_the_regex()
    {
        var random = new Random(7);
        for (int sample = 0; sample < 3000; sample++)
        {
            var text = RandomText(random, random.Next(1, 40));
            Assert.Equal(RegexPieces(text), SplitterPieces(text));
        }

        foreach (var text in HostileTexts())
        {
            Assert.Equal(RegexPieces(text), SplitterPieces(text));
        }
    }

    [Fact]
    public void The_fast_splitter_cuts_tinyshakespeare_exactly_like_the_regex()
    {
        Assert.Equal(RegexPieces(TinyShakespeare), SplitterPieces(TinyShakespeare));
    }

    [Fact]
    public void Pre_tokenizing_both_sides_of_a_safe_cut_gives_the_pieces_of_the_whole()
    {
        var random = new Random(11);
        int cuts = 0;
        for (int sample = 0; sample < 1500; sample++)
        {
            var text = RandomText(random, random.Next(2, 30));
            for (int index = 0; index <= text.Length; index++)
            {
                if (Gpt2PreTokenization.IsSafeCut(text, index))
                {
                    Assert.Equal(RegexPieces(text), [.. RegexPieces(text[..index]), .. RegexPieces(text[index..])]);
                    cuts++;
                }
            }
        }

        Assert.True(cuts > 100, $"only {cuts} safe cuts were exercised");
    }

    [Fact]
    public void Whitespace_before_a_line_break_makes_the_cut_unsafe()
    {
        // The whole text splits "a", "  ", "\n", "b" but "a  \n" alone splits "a", "  \n": the look-ahead sees the end.
        Assert.Equal(["a", "  ", "\n", "b"], RegexPieces("a  \nb"));
        Assert.Equal(["a", "  \n"], RegexPieces("a  \n"));
        Assert.False(Gpt2PreTokenization.IsSafeCut("a  \nb", 4));
        Assert.True(Gpt2PreTokenization.IsSafeCut("a:\nb", 3));
    }

    [Fact]
    public void Chunks_cover_the_text_in_order_and_end_at_safe_cuts()
    {
        var chunks = Gpt2PreTokenization.Chunk(TinyShakespeare, 100_000);

        Assert.InRange(chunks.Count, 10, 12);
        Assert.Equal(0, chunks[0].Start.Value);
        Assert.Equal(TinyShakespeare.Length, chunks[^1].End.Value);
        for (int i = 1; i < chunks.Count; i++)
        {
            Assert.Equal(chunks[i - 1].End.Value, chunks[i].Start.Value);
            Assert.True(Gpt2PreTokenization.IsSafeCut(TinyShakespeare, chunks[i].Start.Value));
        }
    }
}
