using System.Diagnostics;
using System.Text;

namespace Orchestrator.Data.Corpus;

/// <summary>
/// Reads every input of a prepare run into documents: a text file is one document, each JSON Lines record is one,
/// and a built-in dataset contributes its own. Fails with one clear error when an input is missing or nothing is read.
/// </summary>
public static class CorpusReader
{
    private static readonly TimeSpan ReportEvery = TimeSpan.FromSeconds(1);

    public static async Task<(IReadOnlyList<Document> Documents, SourceInfo Source)> ReadAsync(
        PrepareOptions options, IProgress<string>? progress, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        var files = CorpusFiles.Resolve(options.Inputs, options.Extensions);
        var documents = new List<Document>();
        long bytes = 0;
        var lastReport = TimeSpan.Zero;
        for (var i = 0; i < files.Count; i++)
        {
            ct.ThrowIfCancellationRequested();
            var file = files[i];
            if (CorpusFiles.IsJsonLines(file))
            {
                documents.AddRange(await JsonlReader.ReadAsync(file, options.TextField, ct).ConfigureAwait(false));
            }
            else
            {
                documents.Add(new Document(file, await TextFileReader.ReadAsync(file, ct).ConfigureAwait(false)));
            }
            bytes += new FileInfo(file).Length;
            if (watch.Elapsed - lastReport >= ReportEvery)
            {
                lastReport = watch.Elapsed;
                progress?.Report($"reading: {i + 1}/{files.Count} files, {ProgressText.Throughput(bytes, watch)}");
            }
        }

        string? origin = null;
        var fileCount = (long)files.Count;
        if (!string.IsNullOrWhiteSpace(options.Dataset))
        {
            var (builtIn, builtInOrigin) = await BuiltInDatasets.LoadAsync(options, progress, ct).ConfigureAwait(false);
            documents.AddRange(builtIn);
            fileCount += builtIn.Count;
            origin = builtInOrigin;
        }

        if (documents.Count == 0 || documents.All(d => d.Text.Length == 0))
        {
            var what = string.Join(", ", options.Inputs.Select(Path.GetFullPath).Append(options.Dataset).OfType<string>());
            throw new EmptyCorpusException($"The corpus ({what}) holds no text; check the paths and --text-field.");
        }
        var textBytes = documents.Sum(d => (long)Encoding.UTF8.GetByteCount(d.Text));
        progress?.Report($"read {fileCount} files, {documents.Count} documents, {ProgressText.Throughput(textBytes, watch)}");
        var source = new SourceInfo([.. options.Inputs.Select(Path.GetFullPath)], options.Dataset, origin, fileCount, documents.Count, textBytes);
        return (documents, source);
    }
}
