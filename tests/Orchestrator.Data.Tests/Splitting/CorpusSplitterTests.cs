using Orchestrator.Data.Splitting;

namespace Orchestrator.Data.Tests.Splitting;

public sealed class CorpusSplitterTests
{
    private static readonly List<string> Thousand = Enumerable.Range(0, 1000).Select(i => $"document number {i}\n").ToList();

    [Fact]
    public void Default_fractions_give_900_50_50_of_1000_documents()
    {
        var splits = CorpusSplitter.Split(Thousand, SplitFractions.Default, seed: 1, SplitMode.Auto);

        Assert.Equal([900, 50, 50], DatasetSplits.Names.Select(n => splits[n].Count));
    }

    [Fact]
    public void Splits_are_disjoint_and_together_hold_every_document()
    {
        var splits = CorpusSplitter.Split(Thousand, new SplitFractions(0.7, 0.2, 0.1), seed: 5, SplitMode.Documents);

        var all = splits.Train.Concat(splits.Val).Concat(splits.Test).ToList();
        Assert.Equal(1000, all.Count);
        Assert.Equal(Thousand.ToHashSet(), all.ToHashSet());
        Assert.Equal([700, 200, 100], DatasetSplits.Names.Select(n => splits[n].Count));
    }

    [Fact]
    public void Same_seed_gives_the_same_splits_whatever_the_input_order()
    {
        var shuffled = Thousand.OrderBy(d => d.GetHashCode()).Reverse().ToList();

        var a = CorpusSplitter.Split(Thousand, SplitFractions.Default, seed: 42, SplitMode.Auto);
        var b = CorpusSplitter.Split(Thousand, SplitFractions.Default, seed: 42, SplitMode.Auto);
        var c = CorpusSplitter.Split(shuffled, SplitFractions.Default, seed: 42, SplitMode.Auto);

        foreach (var name in DatasetSplits.Names)
        {
            Assert.Equal(a[name], b[name]);
            Assert.Equal(a[name].ToHashSet(), c[name].ToHashSet());
        }
    }

    [Fact]
    public void Documents_keep_their_corpus_order_within_a_split()
    {
        var splits = CorpusSplitter.Split(Thousand, SplitFractions.Default, seed: 42, SplitMode.Auto);

        foreach (var name in DatasetSplits.Names)
        {
            var positions = splits[name].Select(d => Thousand.IndexOf(d)).ToList();
            Assert.Equal(positions.Order(), positions);
        }
    }

    [Fact]
    public void Another_seed_gives_other_splits()
    {
        var a = CorpusSplitter.Split(Thousand, SplitFractions.Default, seed: 1, SplitMode.Auto);
        var b = CorpusSplitter.Split(Thousand, SplitFractions.Default, seed: 2, SplitMode.Auto);

        Assert.NotEqual(a.Val, b.Val);
    }

    [Fact]
    public void Three_documents_give_one_to_each_split()
    {
        var splits = CorpusSplitter.Split(["a", "b", "c"], SplitFractions.Default, seed: 0, SplitMode.Auto);

        Assert.Equal([1, 1, 1], DatasetSplits.Names.Select(n => splits[n].Count));
    }

    [Fact]
    public void Two_documents_cannot_fill_three_splits_and_the_error_says_what_to_do()
    {
        var error = Assert.Throws<SplitTooSmallException>(
            () => CorpusSplitter.Split(["a", "b"], SplitFractions.Default, seed: 0, SplitMode.Auto));

        Assert.Equal("test", error.Split);
        Assert.Contains("test split would be empty", error.Message);
        Assert.Contains("--split-by spans", error.Message);
    }

    [Fact]
    public void A_single_document_is_cut_into_contiguous_spans_like_nanogpt()
    {
        var text = string.Concat(Enumerable.Range(0, 1000).Select(i => (char)('a' + i % 26)));

        var splits = CorpusSplitter.Split([text], SplitFractions.Default, seed: 0, SplitMode.Auto);

        Assert.Equal(text[..900], Assert.Single(splits.Train));
        Assert.Equal(text[900..950], Assert.Single(splits.Val));
        Assert.Equal(text[950..], Assert.Single(splits.Test));
    }

    [Fact]
    public void Span_mode_cuts_every_document_and_drops_empty_spans()
    {
        var splits = CorpusSplitter.Split(["0123456789".PadRight(100, 'x'), "short"], SplitFractions.Default, seed: 0, SplitMode.Spans);

        Assert.Equal(["0123456789".PadRight(90, 'x'), "shor"], splits.Train);
        Assert.Equal(["xxxxx"], splits.Val);
        Assert.Equal(["xxxxx", "t"], splits.Test);
    }

    [Fact]
    public void A_document_too_short_for_a_val_span_is_an_error_naming_the_split()
    {
        var error = Assert.Throws<SplitTooSmallException>(
            () => CorpusSplitter.Split(["tiny text"], SplitFractions.Default, seed: 0, SplitMode.Auto));

        Assert.Equal("val", error.Split);
        Assert.Contains("--val-fraction", error.Message);
    }
}
