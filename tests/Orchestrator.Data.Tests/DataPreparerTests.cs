using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Orchestrator.Data.Cleaning;
using Orchestrator.Data.Shards;
using Orchestrator.Data.Tests.TestSupport;
using Orchestrator.Data.Tokenizers;

namespace Orchestrator.Data.Tests;

public sealed class DataPreparerTests
{
    private static string Decode(PreparedDataset dataset, string split, long start, int count)
    {
        var ids = new long[count];
        dataset.Split(split).Read(start, ids);
        return System.Text.Encoding.UTF8.GetString(dataset.Tokenizer.Decode(ids.Select(i => (int)i).ToArray()));
    }

    [Fact]
    public async Task Tinyshakespeare_with_char_tokenizer_has_65_symbols_and_one_token_per_character()
    {
        using var dir = new TempDirectory();
        var messages = new List<string>();
        var options = new PrepareOptions
        {
            Dataset = "tinyshakespeare",
            TinyShakespeareUrl = new Uri(SharedData.TinyShakespeare).AbsoluteUri,
            CacheDirectory = dir.Sub("cache"),
            OutputDirectory = dir.Sub("data/shakespeare_char"),
        };

        var meta = await DataPreparer.PrepareAsync(options, new SyncProgress(messages), CancellationToken.None);

        // Independent reference for the cleaned text: the file has 4 trailing spaces and 2 runs of two blank lines.
        var raw = File.ReadAllText(SharedData.TinyShakespeare);
        var cleaned = Regex.Replace(Regex.Replace(raw, "[ \t]+\n", "\n"), "\n{3,}", "\n\n");
        Assert.Equal(SharedData.TinyShakespeareBytes - 6, cleaned.Length);

        Assert.Equal(65, meta.VocabSize);
        Assert.Equal(TokenDType.UInt16, meta.TokenDType);
        Assert.Equal("char", meta.Tokenizer);
        Assert.Equal(cleaned.Length, meta.Splits.Values.Sum(s => s.Tokens));
        Assert.Equal([1_003_849L, 55_769L, 55_770L], new[] { "train", "val", "test" }.Select(n => meta.Splits[n].Tokens));
        Assert.All(meta.Splits.Values, s => Assert.Equal(1, s.Documents));
        Assert.All(meta.Splits.Values, s => Assert.Equal(s.Tokens, s.Bytes));
        Assert.Equal(4, meta.Cleaning.TrailingWhitespaceRemoved);
        Assert.Equal(2, meta.Cleaning.BlankLinesRemoved);
        Assert.Equal("tinyshakespeare", meta.Source.Dataset);

        using var dataset = PreparedDataset.Open(options.OutputDirectory);
        Assert.Equal("First Citizen:\nBefore we proceed", Decode(dataset, "train", 0, 32));
        Assert.Equal(cleaned.Substring(1_003_849, 200), Decode(dataset, "val", 0, 200));
        Assert.Equal(cleaned[^100..], Decode(dataset, "test", 55_670, 100));
        Assert.Equal(2 * 1_003_849, new FileInfo(Path.Combine(options.OutputDirectory, "train.bin")).Length);
        Assert.Contains(messages, m => m.StartsWith("encoded train") && m.Contains("MB/s"));
        Assert.DoesNotContain(Directory.GetDirectories(dir.Sub("data")), d => Path.GetFileName(d).StartsWith('.'));
    }

    [Fact]
    public async Task Without_whitespace_cleaning_tinyshakespeare_splits_exactly_like_nanogpt()
    {
        using var dir = new TempDirectory();
        var options = new PrepareOptions
        {
            Inputs = [SharedData.TinyShakespeare],
            OutputDirectory = dir.Sub("out"),
            Cleaning = new CleaningOptions { NormalizeWhitespace = false },
        };

        var meta = await DataPreparer.PrepareAsync(options, null, CancellationToken.None);

        Assert.Equal(SharedData.TinyShakespeareBytes, meta.Splits.Values.Sum(s => s.Tokens));
        Assert.Equal(1_003_854, meta.Splits["train"].Tokens); // len(data[:int(n*0.9)]) in nanoGPT's prepare.py
        Assert.Equal(65, meta.VocabSize);
    }

    [Fact]
    public async Task Folders_and_jsonl_are_split_by_document_with_separators_counted()
    {
        using var dir = new TempDirectory();
        var texts = SmallCorpus.Write(dir, "corpus", 40).ToList();
        dir.Write("extra/records.jsonl", "{\"text\": \"JSON record one.\\n\"}\n{\"text\": \"JSON record two.\\n\"}\n{\"text\": \"Document 0: the quick brown fox jumps over the lazy dog 0.\\n\"}\n");
        texts.Add("JSON record one.\n");
        texts.Add("JSON record two.\n");
        var options = new PrepareOptions { Inputs = [dir.Sub("corpus"), dir.Sub("extra/records.jsonl")], OutputDirectory = dir.Sub("out"), Seed = 7 };

        var meta = await DataPreparer.PrepareAsync(options, null, CancellationToken.None);

        Assert.Equal(43, meta.Source.Documents);
        Assert.Equal(1, meta.Cleaning.DuplicatesDropped);
        Assert.Equal(42, meta.Splits.Values.Sum(s => s.Documents));
        Assert.Equal([38L, 2L, 2L], new[] { "train", "val", "test" }.Select(n => meta.Splits[n].Documents));
        Assert.Equal(texts.Distinct().Sum(t => t.Length) + 2 * (42 - 3), meta.Splits.Values.Sum(s => s.Tokens)); // "\n\n" between documents
        Assert.All(meta.Splits.Values, s => Assert.Equal(s.Tokens, s.Bytes));

        var json = JsonNode.Parse(File.ReadAllText(dir.Sub("out/meta.json")))!;
        Assert.Equal("uint16", (string?)json["dtype"]);
        Assert.Equal(0.05, (double?)json["options"]!["val_fraction"]);
        Assert.Equal(7, (int?)json["options"]!["seed"]);
        Assert.Equal("char", (string?)json["options"]!["tokenizer"]!["kind"]);
        Assert.Equal(1, (int?)json["cleaning"]!["duplicates_dropped"]);
        Assert.Equal(meta.Splits["val"].Sha256, (string?)json["splits"]!["val"]!["sha256"]);
        Assert.Equal(DatasetMeta.Load(dir.Sub("out")), meta with { }, new MetaComparer());
    }

    [Theory]
    [InlineData("bpe", 300)]
    [InlineData("gpt2", 50_257)]
    public async Task Byte_level_shards_separate_documents_with_end_of_text_and_decode_back_to_the_corpus(string kind, int vocabSize)
    {
        using var dir = new TempDirectory();
        var texts = SmallCorpus.Write(dir, "corpus", 30);
        var options = new PrepareOptions
        {
            Inputs = [dir.Sub("corpus")], OutputDirectory = dir.Sub("out"),
            Tokenizer = new TokenizerOptions { Kind = kind, VocabSize = vocabSize },
        };

        var meta = await DataPreparer.PrepareAsync(options, null, CancellationToken.None);

        Assert.Equal(vocabSize, meta.VocabSize);
        Assert.Equal(TokenDType.UInt16, meta.TokenDType);
        using var dataset = PreparedDataset.Open(dir.Sub("out"));
        var endOfText = Assert.IsType<int>(dataset.Tokenizer.EndOfTextId);
        var decoded = new List<string>();
        foreach (var name in new[] { "train", "val", "test" })
        {
            var shard = dataset.Split(name);
            var ids = new long[shard.Length];
            shard.Read(0, ids);
            var documents = Split(ids.Select(i => (int)i).ToArray(), endOfText).Select(d => System.Text.Encoding.UTF8.GetString(dataset.Tokenizer.Decode(d))).ToList();
            Assert.Equal(meta.Splits[name].Documents, documents.Count);
            Assert.Equal(meta.Splits[name].Bytes, documents.Sum(d => (long)System.Text.Encoding.UTF8.GetByteCount(d)));
            decoded.AddRange(documents);
        }
        Assert.Equal(texts.Order(StringComparer.Ordinal), decoded.Order(StringComparer.Ordinal));
    }

    private static IEnumerable<int[]> Split(int[] ids, int separator)
    {
        var start = 0;
        for (var i = 0; i <= ids.Length; i++)
        {
            if (i == ids.Length || ids[i] == separator)
            {
                yield return ids[start..i];
                start = i + 1;
            }
        }
    }

    [Fact]
    public async Task Preparing_twice_gives_identical_shards()
    {
        using var dir = new TempDirectory();
        SmallCorpus.Write(dir, "corpus", 30);

        var first = await DataPreparer.PrepareAsync(new PrepareOptions { Inputs = [dir.Sub("corpus")], OutputDirectory = dir.Sub("a") }, null, CancellationToken.None);
        var second = await DataPreparer.PrepareAsync(new PrepareOptions { Inputs = [dir.Sub("corpus")], OutputDirectory = dir.Sub("b") }, null, CancellationToken.None);

        Assert.Equal(first.Splits, second.Splits);
    }

    [Fact]
    public async Task An_existing_dataset_is_replaced_only_with_force()
    {
        using var dir = new TempDirectory();
        SmallCorpus.Write(dir, "corpus", 10);
        var options = new PrepareOptions { Inputs = [dir.Sub("corpus")], OutputDirectory = dir.Sub("out") };
        var first = await DataPreparer.PrepareAsync(options, null, CancellationToken.None);

        var error = await Assert.ThrowsAsync<OutputDirectoryNotEmptyException>(() => DataPreparer.PrepareAsync(options, null, CancellationToken.None));
        Assert.Contains(dir.Sub("out"), error.Message);
        Assert.Contains("--force", error.Message);
        Assert.Equal(first.CreatedAt, DatasetMeta.Load(dir.Sub("out")).CreatedAt);

        SmallCorpus.Write(dir, "corpus", 20);
        var replaced = await DataPreparer.PrepareAsync(options with { Overwrite = true }, null, CancellationToken.None);
        Assert.Equal(20, DatasetMeta.Load(dir.Sub("out")).Splits.Values.Sum(s => s.Documents));
        Assert.Equal(replaced.CreatedAt, DatasetMeta.Load(dir.Sub("out")).CreatedAt);
        Assert.Equal([dir.Sub("corpus"), dir.Sub("out")], Directory.GetFileSystemEntries(dir.Path).Order());
    }

    [Fact]
    public async Task A_directory_that_is_not_a_dataset_is_never_deleted_even_with_force()
    {
        using var dir = new TempDirectory();
        SmallCorpus.Write(dir, "corpus", 10);
        dir.Write("home/thesis.tex", "precious");

        var error = await Assert.ThrowsAsync<OutputDirectoryNotEmptyException>(() => DataPreparer.PrepareAsync(
            new PrepareOptions { Inputs = [dir.Sub("corpus")], OutputDirectory = dir.Sub("home"), Overwrite = true }, null, CancellationToken.None));

        Assert.Contains("not a prepared dataset", error.Message);
        Assert.Equal("precious", File.ReadAllText(dir.Sub("home/thesis.tex")));
    }

    [Fact]
    public async Task A_run_cancelled_midway_leaves_neither_output_nor_staging_files()
    {
        using var dir = new TempDirectory();
        SmallCorpus.Write(dir, "corpus", 10);
        using var cancel = new CancellationTokenSource();
        var progress = new CancelOn(m => m.StartsWith("encoded train"), cancel);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => DataPreparer.PrepareAsync(
            new PrepareOptions { Inputs = [dir.Sub("corpus")], OutputDirectory = dir.Sub("out/data") }, progress, cancel.Token));

        Assert.True(progress.Fired);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Sub("out")));
    }

    [Fact]
    public async Task A_missing_input_fails_naming_it_and_creates_nothing()
    {
        using var dir = new TempDirectory();

        var error = await Assert.ThrowsAsync<CorpusNotFoundException>(() => DataPreparer.PrepareAsync(
            new PrepareOptions { Inputs = [dir.Sub("nope.txt")], OutputDirectory = dir.Sub("out") }, null, CancellationToken.None));

        Assert.Contains(dir.Sub("nope.txt"), error.Message);
        Assert.False(Directory.Exists(dir.Sub("out")));
    }

    [Fact]
    public async Task An_empty_corpus_file_is_an_error_naming_it()
    {
        using var dir = new TempDirectory();
        var empty = dir.Write("empty.txt", "");

        var error = await Assert.ThrowsAsync<EmptyCorpusException>(() => DataPreparer.PrepareAsync(
            new PrepareOptions { Inputs = [empty], OutputDirectory = dir.Sub("out") }, null, CancellationToken.None));

        Assert.Contains(empty, error.Message);
        Assert.False(Directory.Exists(dir.Sub("out")));
    }

    [Fact]
    public async Task A_corpus_that_cleans_to_nothing_is_an_error_naming_it()
    {
        using var dir = new TempDirectory();
        dir.Write("corpus/a.txt", "   \n\n");
        dir.Write("corpus/b.md", "<p></p>");

        var error = await Assert.ThrowsAsync<EmptyCorpusException>(() => DataPreparer.PrepareAsync(
            new PrepareOptions { Inputs = [dir.Sub("corpus")], OutputDirectory = dir.Sub("out") }, null, CancellationToken.None));

        Assert.Contains(dir.Sub("corpus"), error.Message);
    }

    [Theory]
    [InlineData(0.9, 0.1, 0.0, "test_fraction")]
    [InlineData(0.9, 0.2, 0.05, "train_fraction")]
    [InlineData(0.9, 0.05, 0.05, "output_directory")]
    public void Invalid_options_name_the_option(double train, double val, double test, string option)
    {
        var options = new PrepareOptions
        {
            Inputs = ["x"], TrainFraction = train, ValFraction = val, TestFraction = test,
            OutputDirectory = option == "output_directory" ? "" : "out",
        };

        Assert.Equal(option, Assert.Throws<InvalidPrepareOptionsException>(options.Validate).Option);
    }

    [Fact]
    public void An_unknown_tokenizer_is_refused_before_any_work()
    {
        var options = new PrepareOptions { Inputs = ["x"], OutputDirectory = "out", Tokenizer = new TokenizerOptions { Kind = "sentencepiece" } };

        var error = Assert.Throws<InvalidPrepareOptionsException>(options.Validate);

        Assert.Equal("tokenizer.kind", error.Option);
        Assert.Contains("char, bpe, gpt2", error.Message);
    }

    [Fact]
    public void An_unknown_dataset_lists_the_known_ones()
    {
        var options = new PrepareOptions { Dataset = "wikitext", OutputDirectory = "out" };

        var error = Assert.Throws<InvalidPrepareOptionsException>(options.Validate);

        Assert.Contains("tinyshakespeare, brown", error.Message);
    }

    private sealed class CancelOn(Func<string, bool> when, CancellationTokenSource cancel) : IProgress<string>
    {
        public bool Fired { get; private set; }

        public void Report(string value)
        {
            if (when(value))
            {
                Fired = true;
                cancel.Cancel();
            }
        }
    }

    /// <summary>Compares the parts of meta that round-trip through JSON by value (records hold lists by reference).</summary>
    private sealed class MetaComparer : IEqualityComparer<DatasetMeta>
    {
        public bool Equals(DatasetMeta? x, DatasetMeta? y) =>
            x is not null && y is not null
            && x.VocabSize == y.VocabSize && x.TokenDType == y.TokenDType && x.Tokenizer == y.Tokenizer
            && x.CreatedAt == y.CreatedAt && x.ToolVersion == y.ToolVersion
            && x.Splits.Count == y.Splits.Count && x.Splits.All(kv => y.Splits[kv.Key] == kv.Value)
            && x.Cleaning == y.Cleaning
            && x.TokenizerFiles.SequenceEqual(y.TokenizerFiles)
            && x.Source.Inputs.SequenceEqual(y.Source.Inputs) && x.Source.Documents == y.Source.Documents
            && x.Options.Inputs.SequenceEqual(y.Options.Inputs) && x.Options.Seed == y.Options.Seed
            && x.Options.Tokenizer.Kind == y.Options.Tokenizer.Kind && x.Options.Cleaning == y.Options.Cleaning;

        public int GetHashCode(DatasetMeta obj) => obj.VocabSize;
    }
}
