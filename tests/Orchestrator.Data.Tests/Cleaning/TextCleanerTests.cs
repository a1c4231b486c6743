using Orchestrator.Data.Cleaning;
using Orchestrator.Data.Corpus;

namespace Orchestrator.Data.Tests.Cleaning;

public sealed class TextCleanerTests
{
    private const string Hostile = "<p>Caf\u0065\u0301 &amp; bar\u0000\u001B</p>  \r\n\r\n\r\n\r\nend\t \r\n";

    private static CleanedCorpus Clean(CleaningOptions options, params string[] texts) =>
        TextCleaner.Clean(texts.Select((t, i) => new Document($"doc{i}", t)).ToList(), options, 2, CancellationToken.None);

    [Fact]
    public void All_steps_together_turn_hostile_text_into_clean_text_and_count_each_change()
    {
        var result = Clean(new CleaningOptions(), Hostile);

        Assert.Equal("Caf\u00E9 & bar\n\nend\n", Assert.Single(result.Documents).Text);
        var report = result.Report;
        Assert.Equal(2, report.MarkupTagsRemoved);
        Assert.Equal(1, report.EntitiesDecoded);
        Assert.Equal(1, report.DocumentsNormalized);
        Assert.Equal(2, report.ControlCharactersRemoved);
        Assert.Equal(5, report.LineEndingsConverted);
        Assert.Equal(4, report.TrailingWhitespaceRemoved);
        Assert.Equal(4, report.BlankLinesRemoved); // the line break left by <p> and 3 of the 4 blank lines
        Assert.Equal(Hostile.Length, report.CharactersIn);
        Assert.Equal("Caf\u00E9 & bar\n\nend\n".Length, report.CharactersOut);
    }

    [Fact]
    public void Every_step_off_leaves_the_text_exactly_as_read()
    {
        var off = new CleaningOptions
        {
            NormalizeUnicode = false, StripMarkup = false, RemoveControlCharacters = false,
            NormalizeWhitespace = false, DropDuplicates = false, DropEmpty = false,
        };

        var result = Clean(off, Hostile, Hostile, "");

        Assert.Equal([Hostile, Hostile, ""], result.Documents.Select(d => d.Text));
        Assert.Equal(new CleaningReport { DocumentsIn = 3, DocumentsOut = 3, CharactersIn = 2 * Hostile.Length, CharactersOut = 2 * Hostile.Length }, result.Report);
    }

    [Fact]
    public void Markup_off_keeps_tags_and_entities()
    {
        var text = Assert.Single(Clean(new CleaningOptions { StripMarkup = false }, Hostile).Documents).Text;

        Assert.Equal("<p>Caf\u00E9 &amp; bar</p>\n\nend\n", text);
    }

    [Fact]
    public void Unicode_normalization_off_keeps_combining_marks()
    {
        var text = Assert.Single(Clean(new CleaningOptions { NormalizeUnicode = false }, Hostile).Documents).Text;

        Assert.Equal("Cafe\u0301 & bar\n\nend\n", text);
    }

    [Fact]
    public void Control_removal_off_keeps_control_characters()
    {
        var text = Assert.Single(Clean(new CleaningOptions { RemoveControlCharacters = false }, Hostile).Documents).Text;

        Assert.Equal("Caf\u00E9 & bar\u0000\u001B\n\nend\n", text);
    }

    [Fact]
    public void Whitespace_off_keeps_crlf_trailing_spaces_and_blank_runs()
    {
        var text = Assert.Single(Clean(new CleaningOptions { NormalizeWhitespace = false }, Hostile).Documents).Text;

        Assert.Equal("\nCaf\u00E9 & bar\n  \r\n\r\n\r\n\r\nend\t \r\n", text);
    }

    [Fact]
    public void Exact_duplicates_after_cleaning_and_empty_documents_are_dropped_and_counted()
    {
        var result = Clean(new CleaningOptions(), "x\n", "y", "x\r\n", "<b>x</b>\n", "", "  \n\t\n", "y ");

        Assert.Equal(["x\n", "y"], result.Documents.Select(d => d.Text));
        Assert.Equal(["doc0", "doc1"], result.Documents.Select(d => d.Source));
        Assert.Equal(3, result.Report.DuplicatesDropped);
        Assert.Equal(2, result.Report.EmptyDropped);
        Assert.Equal(7, result.Report.DocumentsIn);
        Assert.Equal(2, result.Report.DocumentsOut);
    }

    [Fact]
    public void Dedupe_and_empty_removal_can_be_turned_off()
    {
        var keepAll = new CleaningOptions { DropDuplicates = false, DropEmpty = false };

        var result = Clean(keepAll, "x\n", "x\r\n", "", "");

        Assert.Equal(["x\n", "x\n", "", ""], result.Documents.Select(d => d.Text));
        Assert.Equal(0, result.Report.DuplicatesDropped);
        Assert.Equal(0, result.Report.EmptyDropped);
    }
}
