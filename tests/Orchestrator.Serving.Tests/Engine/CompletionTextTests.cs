using System.Text;
using Orchestrator.Serving.Engine;

namespace Orchestrator.Serving.Tests.Engine;

public sealed class CompletionTextTests
{
    private static string Feed(CompletionText text, params string[] tokens) =>
        string.Concat(tokens.Select(t => text.Append(Encoding.UTF8.GetBytes(t))));

    [Fact]
    public void Text_that_could_begin_a_stop_sequence_is_held_until_it_cannot()
    {
        var text = new CompletionText(["END"]);
        Assert.Equal("ab", Feed(text, "a", "b", "E"));        // "E" might start "END"
        Assert.Equal("", Feed(text, "N"));                   // "EN" still might
        Assert.Equal("ENx", Feed(text, "x"));                // "ENx" cannot: released at once
        Assert.False(text.StopFound);
    }

    [Fact]
    public void A_stop_sequence_across_tokens_ends_the_text_before_it()
    {
        var text = new CompletionText(["\n\n", "STOP"]);
        var sent = Feed(text, "Hello", " wor", "ld\n", "\nmore");
        Assert.True(text.StopFound);
        Assert.Equal("Hello world", sent);
        Assert.Equal("Hello world", text.Text);
    }

    [Fact]
    public void The_earliest_of_several_stop_sequences_wins()
    {
        var text = new CompletionText(["cd", "b"]);
        Assert.Equal("a", Feed(text, "abcd"));
        Assert.True(text.StopFound);
    }

    [Fact]
    public void Multi_byte_characters_split_across_tokens_are_sent_whole()
    {
        var text = new CompletionText([]);
        var euro = Encoding.UTF8.GetBytes("€"); // E2 82 AC
        Assert.Equal("a", text.Append([(byte)'a', euro[0]]));
        Assert.Equal("", text.Append(euro.AsSpan(1, 1)));
        Assert.Equal("€b", text.Append([euro[2], (byte)'b']));
    }

    [Fact]
    public void Flush_releases_held_text_and_incomplete_bytes()
    {
        var text = new CompletionText(["xyz"]);
        Assert.Equal("a", text.Append([(byte)'a', (byte)'x']));
        Assert.Equal("", text.Append([0xE2]));
        Assert.Equal("x\uFFFD", text.Flush());
    }

    [Theory]
    [InlineData(new byte[] { 0x61 }, 1)]
    [InlineData(new byte[] { 0x61, 0xC3 }, 1)]
    [InlineData(new byte[] { 0xC3, 0xA9 }, 2)]
    [InlineData(new byte[] { 0xF0, 0x9F, 0x98 }, 0)]
    [InlineData(new byte[] { 0xF0, 0x9F, 0x98, 0x80 }, 4)]
    [InlineData(new byte[] { 0x80, 0x80 }, 2)]
    public void Complete_length_counts_only_whole_characters(byte[] bytes, int expected) =>
        Assert.Equal(expected, CompletionText.CompleteLength(bytes));
}
