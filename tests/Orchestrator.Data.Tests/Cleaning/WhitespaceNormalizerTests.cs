using Orchestrator.Data.Cleaning;

namespace Orchestrator.Data.Tests.Cleaning;

public sealed class WhitespaceNormalizerTests
{
    [Fact]
    public void Line_endings_trailing_spaces_and_blank_runs_are_normalized()
    {
        // 3 CR LF + 4 line breaks in "\r\r\r\r\n" = 7 conversions; "  a  " and "b\t" lose 3 trailing characters;
        // 2 leading, 2 of the 3 inner and 3 trailing blank lines go.
        var text = WhitespaceNormalizer.Normalize("\r\n\r\n  a  \r\nb\t\r\r\r\r\nc\n\n\n\n", out var counts);

        Assert.Equal("  a\nb\n\nc\n", text);
        Assert.Equal(new WhitespaceNormalizer.Counts(7, 3, 7), counts);
    }

    [Fact]
    public void Indentation_and_inner_spacing_survive()
    {
        const string poem = "    Shall I compare thee\n\tto a  summer's day?\n";

        Assert.Equal(poem, WhitespaceNormalizer.Normalize(poem, out var counts));
        Assert.Equal(default, counts);
    }

    [Fact]
    public void Text_without_final_newline_gets_none()
    {
        Assert.Equal("a\n\nb", WhitespaceNormalizer.Normalize("a \n \n\t\nb  ", out _));
    }

    [Fact]
    public void Whitespace_only_text_becomes_empty()
    {
        Assert.Equal("", WhitespaceNormalizer.Normalize(" \r\n\t \n\u00A0\n", out _));
    }
}
