using System.Security.Cryptography;

namespace Orchestrator.Data;

/// <summary>SHA-256 of files as lowercase hex, the form <c>sha256sum</c> prints, so users can check values in meta.json by hand.</summary>
public static class FileHashing
{
    public static async Task<string> Sha256HexAsync(string path, CancellationToken ct)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        var hash = await SHA256.HashDataAsync(stream, ct).ConfigureAwait(false);
        return Convert.ToHexStringLower(hash);
    }
}
