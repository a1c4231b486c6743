using Orchestrator.Data.Cleaning;

namespace Orchestrator.Data.Tests.Cleaning;

public sealed class UnicodeNormalizerTests
{
    [Fact]
    public void Decomposed_accents_are_composed_to_single_characters()
    {
        var text = UnicodeNormalizer.ToNfc("Cafe\u0301 A\u030Angstro\u0308m", out var changed, out var replaced);

        Assert.Equal("Caf\u00E9 \u00C5ngstr\u00F6m", text);
        Assert.True(changed);
        Assert.Equal(0, replaced);
    }

    [Fact]
    public void Already_composed_text_is_reported_unchanged()
    {
        var text = UnicodeNormalizer.ToNfc("Caf\u00E9 \U0001F600", out var changed, out var replaced);

        Assert.Equal("Caf\u00E9 \U0001F600", text);
        Assert.False(changed);
        Assert.Equal(0, replaced);
    }

    [Fact]
    public void Lone_surrogates_are_replaced_so_the_text_can_be_normalized()
    {
        var text = UnicodeNormalizer.ToNfc("a\uD800b\uDC00c e\u0301", out var changed, out var replaced);

        Assert.Equal("a\uFFFDb\uFFFDc \u00E9", text);
        Assert.True(changed);
        Assert.Equal(2, replaced);
    }
}
