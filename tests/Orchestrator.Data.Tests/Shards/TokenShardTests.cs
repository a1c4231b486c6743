using Orchestrator.Data.Shards;
using Orchestrator.Data.Tests.TestSupport;

namespace Orchestrator.Data.Tests.Shards;

public sealed class TokenShardTests
{
    [Fact]
    public void Uint16_shards_are_flat_little_endian_and_read_back_exactly()
    {
        using var dir = new TempDirectory();
        var path = dir.Sub("train.bin");
        int[] tokens = [0, 1, 0x1234, 65_535, 50_256, 7];

        TokenShardWriter.Write(path, tokens, TokenDType.UInt16);

        Assert.Equal(new byte[] { 0, 0, 1, 0, 0x34, 0x12, 0xFF, 0xFF, 0x50, 0xC4, 7, 0 }, File.ReadAllBytes(path));
        using var shard = TokenShard.Open(path, TokenDType.UInt16, expectedTokens: 6);
        var read = new long[6];
        shard.Read(0, read);
        Assert.Equal(tokens.Select(t => (long)t), read);
        Assert.Equal(6, shard.Length);
        Assert.Equal(TokenDType.UInt16, shard.DType);
    }

    [Fact]
    public void Uint32_shards_hold_ids_beyond_65535()
    {
        using var dir = new TempDirectory();
        var path = dir.Sub("val.bin");
        int[] tokens = [70_000, 0, int.MaxValue, 65_536];

        TokenShardWriter.Write(path, tokens, TokenDType.UInt32);

        var bytes = File.ReadAllBytes(path);
        Assert.Equal(16, bytes.Length);
        Assert.Equal(new byte[] { 0x70, 0x11, 0x01, 0x00 }, bytes[..4]);
        using var shard = TokenShard.Open(path, TokenDType.UInt32);
        var read = new long[4];
        shard.Read(0, read);
        Assert.Equal(tokens.Select(t => (long)t), read);
    }

    [Fact]
    public void Reads_from_an_offset_return_that_window()
    {
        using var dir = new TempDirectory();
        var path = dir.Sub("big.bin");
        var tokens = Enumerable.Range(0, 1_000_000).Select(i => i % 50_000).ToArray();
        TokenShardWriter.Write(path, tokens, TokenDType.UInt16);

        using var shard = TokenShard.Open(path, TokenDType.UInt16);
        var window = new long[257];
        shard.Read(999_743, window);

        Assert.Equal(Enumerable.Range(999_743, 257).Select(i => (long)(i % 50_000)), window);
    }

    [Fact]
    public void Reading_past_the_end_is_refused_with_the_shard_length()
    {
        using var dir = new TempDirectory();
        var path = dir.Sub("small.bin");
        TokenShardWriter.Write(path, [1, 2, 3], TokenDType.UInt16);
        using var shard = TokenShard.Open(path, TokenDType.UInt16);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => shard.Read(2, new long[2]));

        Assert.Contains("holds 3 tokens", error.Message);
    }

    [Fact]
    public void An_empty_shard_opens_with_length_zero()
    {
        using var dir = new TempDirectory();
        TokenShardWriter.Write(dir.Sub("empty.bin"), [], TokenDType.UInt16);

        using var shard = TokenShard.Open(dir.Sub("empty.bin"), TokenDType.UInt16, expectedTokens: 0);

        Assert.Equal(0, shard.Length);
        shard.Read(0, Span<long>.Empty);
    }

    [Fact]
    public void Ids_too_large_for_uint16_are_refused_and_no_file_is_left()
    {
        using var dir = new TempDirectory();

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => TokenShardWriter.Write(dir.Sub("x.bin"), [5, 65_536], TokenDType.UInt16));

        Assert.Contains("uint32", error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void A_shard_cut_mid_token_is_reported_as_truncated_with_the_fix()
    {
        using var dir = new TempDirectory();
        var path = dir.WriteBytes("train.bin", [1, 0, 2, 0, 3]);

        var error = Assert.Throws<TruncatedShardException>(() => TokenShard.Open(path, TokenDType.UInt16));

        Assert.Equal(path, error.File);
        Assert.Contains(path, error.Message);
        Assert.Contains("re-run `orchestrator prepare`", error.Message);
    }

    [Fact]
    public void A_shard_shorter_than_meta_records_is_reported_as_truncated()
    {
        using var dir = new TempDirectory();
        var path = dir.Sub("train.bin");
        TokenShardWriter.Write(path, [1, 2, 3, 4], TokenDType.UInt32);

        var error = Assert.Throws<TruncatedShardException>(() => TokenShard.Open(path, TokenDType.UInt32, expectedTokens: 10));

        Assert.Contains("holds 4 tokens but meta.json records 10", error.Message);
        Assert.Contains("re-run `orchestrator prepare`", error.Message);
    }

    [Fact]
    public void Rewriting_a_shard_replaces_it_whole()
    {
        using var dir = new TempDirectory();
        var path = dir.Sub("train.bin");
        TokenShardWriter.Write(path, Enumerable.Range(0, 100).ToArray(), TokenDType.UInt16);

        TokenShardWriter.Write(path, [9, 8], TokenDType.UInt16);

        Assert.Equal(new byte[] { 9, 0, 8, 0 }, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFileSystemEntries(dir.Path));
    }
}
