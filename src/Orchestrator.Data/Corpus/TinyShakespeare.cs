namespace Orchestrator.Data.Corpus;

/// <summary>
/// The built-in <c>tinyshakespeare</c> dataset (Karpathy's char-rnn corpus, 1,115,394 bytes), fetched once into the
/// cache and checked against a known SHA-256 so every machine trains on exactly the same bytes.
/// </summary>
public static class TinyShakespeare
{
    public const string Name = "tinyshakespeare";
    public const string DefaultUrl = "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt";
    public const string Sha256 = "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed";

    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan DownloadTimeout = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Returns the path of the verified cached copy, downloading it from <paramref name="url"/> (http, https or file)
    /// when it is missing or fails its checksum.
    /// </summary>
    public static async Task<string> EnsureAsync(string url, string cacheDirectory, IProgress<string>? progress, CancellationToken ct)
    {
        var directory = Path.Combine(cacheDirectory, Name);
        var path = Path.Combine(directory, "input.txt");
        if (File.Exists(path))
        {
            if (await FileHashing.Sha256HexAsync(path, ct).ConfigureAwait(false) == Sha256)
            {
                progress?.Report($"{Name}: using cached {path}");
                return path;
            }
            progress?.Report($"{Name}: cached {path} fails its sha256 check; downloading again");
        }

        Directory.CreateDirectory(directory);
        var partial = Path.Combine(directory, $".input.txt.{Guid.NewGuid():N}.part");
        try
        {
            progress?.Report($"{Name}: downloading {url}");
            await DownloadAsync(url, partial, ct).ConfigureAwait(false);
            var actual = await FileHashing.Sha256HexAsync(partial, ct).ConfigureAwait(false);
            if (actual != Sha256)
            {
                throw new DatasetDownloadException(
                    $"{Name} downloaded from {url} has sha256 {actual}, expected {Sha256}: the download is corrupt or the " +
                    "source changed. Pass a trusted local copy with `--input PATH` instead.");
            }
            File.Move(partial, path, overwrite: true);
            progress?.Report($"{Name}: cached {path}");
            return path;
        }
        finally
        {
            File.Delete(partial);
        }
    }

    private static async Task DownloadAsync(string url, string destination, CancellationToken ct)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https" or "file"))
        {
            throw new DatasetDownloadException($"{Name} URL '{url}' is not an absolute http, https or file URL.");
        }
        try
        {
            await using var file = new FileStream(destination, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
            if (uri.IsFile)
            {
                await using var source = new FileStream(uri.LocalPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
                await source.CopyToAsync(file, ct).ConfigureAwait(false);
                return;
            }
            using var handler = new SocketsHttpHandler { ConnectTimeout = ConnectTimeout };
            using var client = new HttpClient(handler) { Timeout = DownloadTimeout };
            using var response = await client.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            response.EnsureSuccessStatusCode();
            await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            await body.CopyToAsync(file, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or UnauthorizedAccessException
                                       || (ex is TaskCanceledException && !ct.IsCancellationRequested))
        {
            throw new DatasetDownloadException(
                $"Could not download {Name} from {url} ({ex.Message}). If this machine is offline, copy " +
                $"input.txt from that address onto it and pass the local file with `--input PATH` instead of `--dataset {Name}`.", ex);
        }
    }
}
