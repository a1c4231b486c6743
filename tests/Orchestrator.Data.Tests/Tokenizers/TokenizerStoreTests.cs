using System.Text.Json.Nodes;
using Orchestrator.Data.Tokenizers;
using static Orchestrator.Data.Tests.Tokenizers.TokenizerTestData;

namespace Orchestrator.Data.Tests.Tokenizers;

public sealed class TokenizerStoreTests
{
    private const string Sample = "First Citizen:\nBefore we proceed any further, hear me speak.\n";

    public static TheoryData<string, string[]> KindsAndFiles => new()
    {
        { TokenizerKind.Char, ["tokenizer.json"] },
        { TokenizerKind.Bpe, ["bpe.tiktoken", "tokenizer.json"] },
        { TokenizerKind.Gpt2, ["tokenizer.json"] },
    };

    private static ITextTokenizer Tokenizer(string kind) => kind switch
    {
        TokenizerKind.Bpe => TokenizerFactory.FromBpe(ShakespeareBpe),
        _ => TokenizerFactory.Create(new TokenizerOptions { Kind = kind, AllowUnknown = true }, [TinyShakespeare]),
    };

    [Theory]
    [MemberData(nameof(KindsAndFiles))]
    public void Saved_tokenizer_loads_back_identical(string kind, string[] files)
    {
        using var folder = new TempFolder();
        var original = Tokenizer(kind);

        var written = TokenizerStore.Save(original, folder.Path);
        var loaded = TokenizerStore.Load(folder.Path);

        Assert.Equal(files, written.Order());
        Assert.Equal(files, TokenizerStore.FilesIn(folder.Path).Order());
        Assert.Equal(files, Directory.GetFiles(folder.Path).Select(Path.GetFileName).Order());
        Assert.Equal(original.Kind, loaded.Kind);
        Assert.Equal(original.VocabSize, loaded.VocabSize);
        Assert.Equal(original.EndOfTextId, loaded.EndOfTextId);
        var bytes = Utf8(TinyShakespeare[..50_000] + "😀");
        Assert.Equal(original.Encode(bytes), loaded.Encode(bytes));
        Assert.Equal(original.Decode(original.Encode(bytes)), loaded.Decode(loaded.Encode(bytes)));
    }

    [Fact]
    public void The_char_vocabulary_and_options_are_kept()
    {
        using var folder = new TempFolder();
        TokenizerStore.Save(TokenizerFactory.Create(new TokenizerOptions { Kind = TokenizerKind.Char, AllowUnknown = true }, ["ba😀"]), folder.Path);

        var loaded = TokenizerStore.Load(folder.Path);

        Assert.Equal(4, loaded.VocabSize);
        Assert.Equal([0, 1, 2, 3], loaded.Encode(Utf8("ab😀?")));
    }

    [Fact]
    public void A_folder_without_a_tokenizer_is_reported_with_the_file_expected()
    {
        using var folder = new TempFolder();

        var error = Assert.Throws<TokenizerFileException>(() => TokenizerStore.Load(folder.Path));

        Assert.Equal(Path.Combine(folder.Path, "tokenizer.json"), error.Path);
        Assert.Contains("tokenizer.json", error.Message);
        Assert.Contains("prepare the dataset again", error.Message);
        Assert.Empty(TokenizerStore.FilesIn(folder.Path));
    }

    [Fact]
    public void Corrupt_json_is_reported_naming_the_file()
    {
        using var folder = new TempFolder();
        File.WriteAllText(Path.Combine(folder.Path, "tokenizer.json"), "{ \"kind\": \"bpe\", ");

        var error = Assert.Throws<TokenizerFileException>(() => TokenizerStore.Load(folder.Path));

        Assert.Contains("tokenizer.json' is corrupt", error.Message);
    }

    [Fact]
    public void An_unknown_kind_is_reported_naming_the_kinds_known()
    {
        using var folder = new TempFolder();
        File.WriteAllText(Path.Combine(folder.Path, "tokenizer.json"), "{ \"kind\": \"sentencepiece\", \"vocab_size\": 5 }");

        var error = Assert.Throws<TokenizerFileException>(() => TokenizerStore.Load(folder.Path));

        Assert.Contains("'sentencepiece'", error.Message);
        Assert.Contains("char, bpe, gpt2", error.Message);
    }

    [Fact]
    public void A_missing_ranks_file_is_reported_naming_it()
    {
        using var folder = new TempFolder();
        TokenizerStore.Save(Tokenizer(TokenizerKind.Bpe), folder.Path);
        File.Delete(Path.Combine(folder.Path, "bpe.tiktoken"));

        var error = Assert.Throws<TokenizerFileException>(() => TokenizerStore.Load(folder.Path));

        Assert.Equal(Path.Combine(folder.Path, "bpe.tiktoken"), error.Path);
        Assert.Contains("is missing", error.Message);
        Assert.Equal(["tokenizer.json"], TokenizerStore.FilesIn(folder.Path));
    }

    [Fact]
    public void A_changed_ranks_file_fails_its_checksum()
    {
        using var folder = new TempFolder();
        TokenizerStore.Save(Tokenizer(TokenizerKind.Bpe), folder.Path);
        var ranks = Path.Combine(folder.Path, "bpe.tiktoken");
        File.WriteAllText(ranks, File.ReadAllText(ranks).Replace(" 300\n", " 301\n"));

        var error = Assert.Throws<TokenizerFileException>(() => TokenizerStore.Load(folder.Path));

        Assert.Equal(ranks, error.Path);
        Assert.Contains("SHA-256", error.Message);
    }

    [Fact]
    public void A_malformed_ranks_file_is_reported_with_its_line()
    {
        using var folder = new TempFolder();
        TokenizerStore.Save(Tokenizer(TokenizerKind.Bpe), folder.Path);
        var ranks = Path.Combine(folder.Path, "bpe.tiktoken");
        var lines = File.ReadAllLines(ranks);
        lines[299] = "not*base64 299";
        File.WriteAllText(ranks, string.Join('\n', lines) + "\n");
        var descriptor = Path.Combine(folder.Path, "tokenizer.json");
        var json = JsonNode.Parse(File.ReadAllText(descriptor))!.AsObject();
        json.Remove("ranks_sha256");
        File.WriteAllText(descriptor, json.ToJsonString());

        var error = Assert.Throws<TokenizerFileException>(() => TokenizerStore.Load(folder.Path));

        Assert.Contains("bpe.tiktoken' is corrupt: line 300", error.Message);
    }
}
