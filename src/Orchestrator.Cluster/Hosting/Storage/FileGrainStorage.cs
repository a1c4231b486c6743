using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Orleans.Storage;
using Orchestrator.Common.Storage;

namespace Orchestrator.Cluster.Hosting.Storage;

/// <summary>
/// Grain state as one file per grain under a local directory: the coordinator's default store, so jobs, workers and
/// checkpoint catalogs survive a coordinator restart without a database. Each file holds a header with the state's
/// ETag and the state encoded by the Orleans serializer (the Redis store's encoding). A write goes to a temporary file
/// that is flushed, renamed over the old one and made durable by flushing the directory, so a crash leaves the old or
/// the new state, never a mix. ETags give the same optimistic concurrency as the other providers.
/// </summary>
public sealed class FileGrainStorage : IGrainStorage, IDisposable
{
    private static readonly byte[] Magic = "OGS1"u8.ToArray();
    private const int EtagLength = 32;
    private static readonly int HeaderLength = Magic.Length + EtagLength + 1;

    private readonly string _directory;
    private readonly IGrainStorageSerializer _serializer;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new(StringComparer.Ordinal);
    private readonly StateDirectoryLock _directoryLock;

    /// <summary>
    /// Creates <paramref name="directory"/> if needed and locks it, so a second coordinator pointed at the same
    /// directory fails at start instead of overwriting this one's state.
    /// </summary>
    public FileGrainStorage(string directory, IGrainStorageSerializer serializer)
    {
        _directory = Path.GetFullPath(directory);
        _serializer = serializer;
        _directoryLock = StateDirectoryLock.Acquire(_directory);
    }

    /// <summary>Where a grain's state lives: <c>DIR/GRAINTYPE/KEY.STATENAME</c> with unsafe characters escaped.</summary>
    public string PathOf(string stateName, GrainId grainId) =>
        Path.Combine(_directory, FileNames.Escape(grainId.Type.ToString()!), $"{FileNames.Escape(grainId.Key.ToString()!)}.{FileNames.Escape(stateName)}");

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var path = PathOf(stateName, grainId);
        var gate = Gate(path);
        await gate.WaitAsync();
        try
        {
            byte[] bytes;
            try
            {
                bytes = await File.ReadAllBytesAsync(path);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                grainState.ETag = null;
                grainState.RecordExists = false;
                return;
            }

            var etag = EtagOf(path, bytes);
            grainState.State = _serializer.Deserialize<T>(new BinaryData(bytes.AsMemory(HeaderLength)));
            grainState.ETag = etag;
            grainState.RecordExists = true;
        }
        finally
        {
            gate.Release();
        }
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var path = PathOf(stateName, grainId);
        var gate = Gate(path);
        await gate.WaitAsync();
        try
        {
            await CheckEtagAsync(path, grainId, grainState.ETag);
            var etag = Guid.NewGuid().ToString("N");
            var payload = _serializer.Serialize(grainState.State);
            var folder = Path.GetDirectoryName(path)!;
            Directory.CreateDirectory(folder);
            var temporary = $"{path}.tmp-{Guid.NewGuid():N}";
            try
            {
                await using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, useAsync: true))
                {
                    await stream.WriteAsync(Magic);
                    await stream.WriteAsync(Encoding.ASCII.GetBytes(etag));
                    stream.WriteByte((byte)'\n');
                    await stream.WriteAsync(payload.ToMemory());
                    stream.Flush(flushToDisk: true);
                }

                File.Move(temporary, path, overwrite: true);
            }
            finally
            {
                File.Delete(temporary);
            }

            DurableFiles.FlushDirectory(folder);
            grainState.ETag = etag;
            grainState.RecordExists = true;
        }
        finally
        {
            gate.Release();
        }
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var path = PathOf(stateName, grainId);
        var gate = Gate(path);
        await gate.WaitAsync();
        try
        {
            await CheckEtagAsync(path, grainId, grainState.ETag);
            if (File.Exists(path))
            {
                File.Delete(path);
                DurableFiles.FlushDirectory(Path.GetDirectoryName(path)!);
            }

            grainState.ETag = null;
            grainState.RecordExists = false;
        }
        finally
        {
            gate.Release();
        }
    }

    public void Dispose() => _directoryLock.Dispose();

    private SemaphoreSlim Gate(string path) => _gates.GetOrAdd(path, _ => new SemaphoreSlim(1, 1));

    /// <summary>Throws <see cref="InconsistentStateException"/> when the stored ETag is not the one the grain last read or wrote.</summary>
    private static async Task CheckEtagAsync(string path, GrainId grainId, string? expected)
    {
        string? stored = null;
        if (File.Exists(path))
        {
            var header = new byte[HeaderLength];
            await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 4096, useAsync: true);
            var read = await stream.ReadAtLeastAsync(header, HeaderLength, throwOnEndOfStream: false);
            stored = EtagOf(path, header.AsSpan(0, read));
        }

        if (!string.Equals(stored, expected, StringComparison.Ordinal))
        {
            throw new InconsistentStateException(
                $"state of grain {grainId} in '{path}' was changed by someone else (stored ETag {stored ?? "none"}, this activation holds {expected ?? "none"}): " +
                "is a second coordinator using the same state directory?", stored ?? "none", expected ?? "none");
        }
    }

    private static string EtagOf(string path, ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < HeaderLength || !bytes[..Magic.Length].SequenceEqual(Magic) || bytes[HeaderLength - 1] != (byte)'\n')
        {
            throw new InvalidDataException(
                $"grain state file '{path}' is not a state file of this coordinator (bad header): restore it from a backup, or delete it to forget that grain's state");
        }

        return Encoding.ASCII.GetString(bytes.Slice(Magic.Length, EtagLength));
    }

    /// <summary>File-name-safe renderings of grain types, keys and state names.</summary>
    private static class FileNames
    {
        private const int MaxLength = 120;

        /// <summary>Letters, digits, '-', '_' and '.' stay; every other byte becomes %XX; overlong names become a SHA-256.</summary>
        public static string Escape(string value)
        {
            var builder = new StringBuilder(value.Length);
            foreach (var b in Encoding.UTF8.GetBytes(value))
            {
                var c = (char)b;
                if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' || (c == '.' && builder.Length > 0))
                {
                    builder.Append(c);
                }
                else
                {
                    builder.Append('%').Append(b.ToString("X2"));
                }
            }

            return builder.Length <= MaxLength
                ? builder.ToString()
                : $"sha256-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)))}";
        }
    }
}
