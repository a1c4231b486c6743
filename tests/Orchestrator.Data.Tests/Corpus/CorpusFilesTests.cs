using Orchestrator.Data.Corpus;
using Orchestrator.Data.Tests.TestSupport;

namespace Orchestrator.Data.Tests.Corpus;

public sealed class CorpusFilesTests
{
    [Fact]
    public void Folders_are_searched_recursively_by_extension_in_sorted_order()
    {
        using var dir = new TempDirectory();
        dir.Write("root/z.txt", "z");
        dir.Write("root/sub/deeper/c.txt", "c");
        dir.Write("root/sub/b.md", "b");
        dir.Write("root/sub/E.TXT", "e");
        dir.Write("root/notes.csv", "skip");
        dir.Write("root/.git/HEAD.txt", "hidden folder");
        dir.Write("root/.draft.txt", "hidden file");

        var files = CorpusFiles.Resolve([dir.Sub("root")], [".txt", ".md"]);

        Assert.Equal(
            [dir.Sub("root/sub/E.TXT"), dir.Sub("root/sub/b.md"), dir.Sub("root/sub/deeper/c.txt"), dir.Sub("root/z.txt")],
            files);
    }

    [Fact]
    public void Other_extensions_can_be_asked_for_and_files_named_directly_are_always_read()
    {
        using var dir = new TempDirectory();
        dir.Write("root/a.txt", "a");
        dir.Write("root/b.jsonl", "{}");
        var explicitFile = dir.Write("other/readme.rst", "r");

        var files = CorpusFiles.Resolve([dir.Sub("root"), explicitFile, dir.Sub("root/a.txt")], [".jsonl"]);

        Assert.Equal([dir.Sub("other/readme.rst"), dir.Sub("root/a.txt"), dir.Sub("root/b.jsonl")], files);
    }

    [Fact]
    public void A_missing_input_is_an_error_naming_it()
    {
        using var dir = new TempDirectory();

        var error = Assert.Throws<CorpusNotFoundException>(() => CorpusFiles.Resolve([dir.Sub("nope/corpus")], [".txt"]));

        Assert.Equal(dir.Sub("nope/corpus"), error.Path);
        Assert.Contains(dir.Sub("nope/corpus"), error.Message);
    }

    [Fact]
    public void A_folder_without_matching_files_is_an_error_naming_it_and_the_extensions()
    {
        using var dir = new TempDirectory();
        dir.Write("root/data.csv", "x");

        var error = Assert.Throws<EmptyCorpusException>(() => CorpusFiles.Resolve([dir.Sub("root")], [".txt", ".md"]));

        Assert.Contains(dir.Sub("root"), error.Message);
        Assert.Contains(".txt, .md", error.Message);
    }
}
