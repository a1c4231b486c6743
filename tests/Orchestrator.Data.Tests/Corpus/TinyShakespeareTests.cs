using System.Security.Cryptography;
using Orchestrator.Data.Corpus;
using Orchestrator.Data.Tests.TestSupport;

namespace Orchestrator.Data.Tests.Corpus;

public sealed class TinyShakespeareTests
{
    [Fact]
    public void The_expected_checksum_is_that_of_the_shared_copy()
    {
        var bytes = File.ReadAllBytes(SharedData.TinyShakespeare);

        Assert.Equal(SharedData.TinyShakespeareBytes, bytes.Length);
        Assert.Equal(TinyShakespeare.Sha256, Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }

    [Fact]
    public async Task Download_over_http_is_verified_cached_and_not_repeated()
    {
        using var cache = new TempDirectory();
        await using var server = new LocalHttpServer(new Dictionary<string, byte[]> { ["input.txt"] = File.ReadAllBytes(SharedData.TinyShakespeare) });

        var path = await TinyShakespeare.EnsureAsync(server.Url("input.txt"), cache.Path, null, CancellationToken.None);
        var again = await TinyShakespeare.EnsureAsync(server.Url("input.txt"), cache.Path, null, CancellationToken.None);

        Assert.Equal(cache.Sub("tinyshakespeare/input.txt"), path);
        Assert.Equal(path, again);
        Assert.Equal(File.ReadAllBytes(SharedData.TinyShakespeare), File.ReadAllBytes(path));
        Assert.Equal(1, server.Requests);
        Assert.Equal(["input.txt"], Directory.GetFiles(cache.Sub("tinyshakespeare")).Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_file_url_works_like_a_download()
    {
        using var cache = new TempDirectory();

        var path = await TinyShakespeare.EnsureAsync(new Uri(SharedData.TinyShakespeare).AbsoluteUri, cache.Path, null, CancellationToken.None);

        Assert.Equal(SharedData.TinyShakespeareBytes, new FileInfo(path).Length);
    }

    [Fact]
    public async Task Content_with_the_wrong_checksum_is_rejected_and_not_cached()
    {
        using var cache = new TempDirectory();
        await using var server = new LocalHttpServer(new Dictionary<string, byte[]> { ["input.txt"] = "First Citizen:\nBefore we proceed\n"u8.ToArray() });

        var error = await Assert.ThrowsAsync<DatasetDownloadException>(
            () => TinyShakespeare.EnsureAsync(server.Url("input.txt"), cache.Path, null, CancellationToken.None));

        Assert.Contains(TinyShakespeare.Sha256, error.Message);
        Assert.Contains("--input PATH", error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(cache.Sub("tinyshakespeare")));
    }

    [Fact]
    public async Task A_corrupted_cache_is_downloaded_again()
    {
        using var cache = new TempDirectory();
        cache.Write("tinyshakespeare/input.txt", "truncated");

        var path = await TinyShakespeare.EnsureAsync(new Uri(SharedData.TinyShakespeare).AbsoluteUri, cache.Path, null, CancellationToken.None);

        Assert.Equal(SharedData.TinyShakespeareBytes, new FileInfo(path).Length);
    }

    [Fact]
    public async Task Unreachable_source_fails_with_how_to_pass_a_local_file()
    {
        using var cache = new TempDirectory();
        var url = LocalHttpServer.RefusingUrl();

        var error = await Assert.ThrowsAsync<DatasetDownloadException>(
            () => TinyShakespeare.EnsureAsync(url, cache.Path, null, CancellationToken.None));

        Assert.Contains(url, error.Message);
        Assert.Contains("offline", error.Message);
        Assert.Contains("--input PATH", error.Message);
        Assert.False(File.Exists(cache.Sub("tinyshakespeare/input.txt")));
    }

    [Fact]
    public async Task A_404_is_reported_like_an_unreachable_source()
    {
        using var cache = new TempDirectory();
        await using var server = new LocalHttpServer(new Dictionary<string, byte[]>());

        var error = await Assert.ThrowsAsync<DatasetDownloadException>(
            () => TinyShakespeare.EnsureAsync(server.Url("input.txt"), cache.Path, null, CancellationToken.None));

        Assert.Contains("404", error.Message);
        Assert.Contains("--input PATH", error.Message);
    }
}
