using System.Text.Json.Nodes;
using Orchestrator.Data.Shards;
using Orchestrator.Data.Tests.TestSupport;

namespace Orchestrator.Data.Tests;

public sealed class PreparedDatasetTests
{
    private static async Task<string> PrepareSmallAsync(TempDirectory dir)
    {
        SmallCorpus.Write(dir, "corpus", 30);
        await DataPreparer.PrepareAsync(new PrepareOptions { Inputs = [dir.Sub("corpus")], OutputDirectory = dir.Sub("data") }, null, CancellationToken.None);
        return dir.Sub("data");
    }

    [Fact]
    public async Task Opening_a_prepared_dataset_gives_its_meta_tokenizer_and_lazily_mapped_splits()
    {
        using var dir = new TempDirectory();
        var data = await PrepareSmallAsync(dir);

        using var dataset = PreparedDataset.Open(data);

        Assert.Equal(data, dataset.Directory);
        Assert.Equal(dataset.Meta.VocabSize, dataset.Tokenizer.VocabSize);
        foreach (var name in new[] { "train", "val", "test" })
        {
            var shard = dataset.Split(name);
            Assert.Same(shard, dataset.Split(name));
            Assert.Equal(dataset.Meta.Splits[name].Tokens, shard.Length);
        }
        var first = new long[10];
        dataset.Split("train").Read(0, first);
        Assert.Equal("Document 0", System.Text.Encoding.UTF8.GetString(dataset.Tokenizer.Decode(first.Select(i => (int)i).ToArray())));
        Assert.Throws<ArgumentOutOfRangeException>(() => dataset.Split("validation"));
    }

    [Fact]
    public async Task A_truncated_shard_is_found_at_open_with_the_file_and_the_fix()
    {
        using var dir = new TempDirectory();
        var data = await PrepareSmallAsync(dir);
        var val = Path.Combine(data, "val.bin");
        var bytes = File.ReadAllBytes(val);
        File.WriteAllBytes(val, bytes[..^1]);

        var error = Assert.Throws<TruncatedShardException>(() => PreparedDataset.Open(data));

        Assert.Equal(val, error.File);
        Assert.Contains("re-run `orchestrator prepare`", error.Message);
    }

    [Fact]
    public async Task A_shard_that_lost_whole_tokens_disagrees_with_meta_and_is_reported()
    {
        using var dir = new TempDirectory();
        var data = await PrepareSmallAsync(dir);
        var train = Path.Combine(data, "train.bin");
        File.WriteAllBytes(train, File.ReadAllBytes(train)[..^4]);

        var error = Assert.Throws<TruncatedShardException>(() => PreparedDataset.Open(data));

        Assert.Contains(train, error.Message);
        Assert.Contains("meta.json records", error.Message);
    }

    [Fact]
    public async Task A_missing_shard_is_named()
    {
        using var dir = new TempDirectory();
        var data = await PrepareSmallAsync(dir);
        File.Delete(Path.Combine(data, "test.bin"));

        var error = Assert.Throws<InvalidDatasetException>(() => PreparedDataset.Open(data));

        Assert.Contains(Path.Combine(data, "test.bin"), error.Message);
    }

    [Fact]
    public async Task Missing_or_corrupt_meta_is_reported_with_the_file()
    {
        using var dir = new TempDirectory();
        var data = await PrepareSmallAsync(dir);
        var meta = Path.Combine(data, "meta.json");
        var original = File.ReadAllText(meta);

        File.WriteAllText(meta, original[..(original.Length / 2)]);
        Assert.Contains(meta, Assert.Throws<InvalidDatasetException>(() => PreparedDataset.Open(data)).Message);

        var json = JsonNode.Parse(original)!;
        json["format_version"] = 99;
        File.WriteAllText(meta, json.ToJsonString());
        Assert.Contains("format version 99", Assert.Throws<InvalidDatasetException>(() => PreparedDataset.Open(data)).Message);

        File.Delete(meta);
        var missing = Assert.Throws<InvalidDatasetException>(() => PreparedDataset.Open(data));
        Assert.Contains(meta, missing.Message);
        Assert.Contains("orchestrator prepare", missing.Message);
    }

    [Fact]
    public void A_directory_that_does_not_exist_is_named()
    {
        using var dir = new TempDirectory();

        var error = Assert.Throws<InvalidDatasetException>(() => PreparedDataset.Open(dir.Sub("absent")));

        Assert.Contains(dir.Sub("absent"), error.Message);
    }
}
