using Orchestrator.Data.Cleaning;

namespace Orchestrator.Data.Tests.Cleaning;

public sealed class ControlCharacterFilterTests
{
    [Fact]
    public void Control_characters_go_but_tab_and_line_endings_stay()
    {
        var text = ControlCharacterFilter.Remove("a\u0000b\u001B[31mc\u007F\u0085d\te\nf\r\n\u0007", out var removed);

        Assert.Equal("ab[31mcd\te\nf\r\n", text);
        Assert.Equal(5, removed); // NUL, ESC, DEL, NEL (C1), BEL
    }

    [Fact]
    public void Format_characters_and_emoji_are_not_control_characters()
    {
        const string text = "zero\u200Bwidth \U0001F600 \u00E9";

        Assert.Equal(text, ControlCharacterFilter.Remove(text, out var removed));
        Assert.Equal(0, removed);
    }
}
