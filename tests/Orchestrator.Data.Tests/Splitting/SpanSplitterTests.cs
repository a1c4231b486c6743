using Orchestrator.Data.Splitting;

namespace Orchestrator.Data.Tests.Splitting;

public sealed class SpanSplitterTests
{
    [Fact]
    public void Cuts_follow_floor_of_length_times_fraction()
    {
        // nanoGPT: n = 1,115,394; train = data[:int(n * 0.9)] = 1,003,854 characters.
        var text = new string('a', 1_115_394);

        var (train, val, test) = SpanSplitter.Cut(text, SplitFractions.Default);

        Assert.Equal(1_003_854, train.Length);
        Assert.Equal(55_769, val.Length);
        Assert.Equal(55_771, test.Length);
    }

    [Fact]
    public void A_cut_never_separates_the_halves_of_a_surrogate_pair()
    {
        var text = new string('a', 8) + "\U0001F600" + new string('b', 10); // 20 UTF-16 units; the emoji is units 8-9

        var (train, val, test) = SpanSplitter.Cut(text, new SplitFractions(0.45, 0.45, 0.1)); // floor(9) falls inside it

        Assert.Equal(new string('a', 8) + "\U0001F600", train);
        Assert.Equal(text, train + val + test);
        Assert.True(val.Length > 0 && !char.IsLowSurrogate(val[0]));
    }
}
