using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;

namespace Orchestrator.Data.Shards;

/// <summary>
/// A read-only view of a token shard through a memory map: the operating system pages tokens in on demand, so a
/// multi-gigabyte split costs no managed memory and many readers (threads, processes) share one page cache.
/// <see cref="Read"/> is safe to call from several threads at once.
/// </summary>
public sealed unsafe class TokenShard : IDisposable
{
    private readonly MemoryMappedFile? _file;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly byte* _start;
    private int _disposed;

    private TokenShard(string path, TokenDType dtype, long length)
    {
        Path = path;
        DType = dtype;
        Length = length;
        if (length == 0)
        {
            return; // an empty file cannot be mapped, and there is nothing to read
        }
        _file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, mapName: null, capacity: 0, MemoryMappedFileAccess.Read);
        try
        {
            _view = _file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* pointer = null;
            _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            _start = pointer + _view.PointerOffset;
        }
        catch
        {
            _view?.Dispose();
            _file.Dispose();
            throw;
        }
    }

    /// <summary>The shard's file, for messages.</summary>
    public string Path { get; }

    /// <summary>Number of tokens in the shard.</summary>
    public long Length { get; }

    public TokenDType DType { get; }

    /// <summary>
    /// Maps <paramref name="path"/> after checking that its length is a whole number of <paramref name="dtype"/>
    /// tokens and, when given, equals <paramref name="expectedTokens"/> (the count meta.json recorded).
    /// </summary>
    public static TokenShard Open(string path, TokenDType dtype, long? expectedTokens = null)
    {
        var length = CountTokens(path, dtype, expectedTokens);
        return new TokenShard(System.IO.Path.GetFullPath(path), dtype, length);
    }

    /// <summary>
    /// The number of tokens the file at <paramref name="path"/> holds, validated as in <see cref="Open"/> without mapping it.
    /// </summary>
    public static long CountTokens(string path, TokenDType dtype, long? expectedTokens = null)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new FileNotFoundException(
                $"Token shard '{info.FullName}' does not exist; run `orchestrator prepare` to create the dataset.", info.FullName);
        }
        var size = dtype.SizeInBytes();
        if (info.Length % size != 0)
        {
            throw new TruncatedShardException(info.FullName,
                $"Token shard '{info.FullName}' is {info.Length:N0} bytes, not a whole number of {size}-byte {dtype.Name()} tokens: " +
                "the file is truncated or corrupt; re-run `orchestrator prepare` (with --force) to rebuild the dataset.");
        }
        var tokens = info.Length / size;
        if (expectedTokens is { } expected && expected != tokens)
        {
            throw new TruncatedShardException(info.FullName,
                $"Token shard '{info.FullName}' holds {tokens:N0} tokens but meta.json records {expected:N0}: the file is " +
                "truncated or stale; re-run `orchestrator prepare` (with --force) to rebuild the dataset.");
        }
        return tokens;
    }

    /// <summary>Copies <c>destination.Length</c> tokens starting at token <paramref name="start"/>, widened to int64 (what embedding lookups take).</summary>
    public void Read(long start, Span<long> destination)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (start < 0 || start > Length || destination.Length > Length - start)
        {
            throw new ArgumentOutOfRangeException(nameof(start), start,
                $"Cannot read {destination.Length:N0} tokens at position {start:N0} of '{Path}', which holds {Length:N0} tokens.");
        }
        if (destination.IsEmpty)
        {
            return;
        }
        if (DType == TokenDType.UInt16)
        {
            var source = new ReadOnlySpan<ushort>(_start + start * sizeof(ushort), destination.Length);
            for (var i = 0; i < source.Length; i++)
            {
                destination[i] = BitConverter.IsLittleEndian ? source[i] : BinaryPrimitives.ReverseEndianness(source[i]);
            }
        }
        else
        {
            var source = new ReadOnlySpan<uint>(_start + start * sizeof(uint), destination.Length);
            for (var i = 0; i < source.Length; i++)
            {
                destination[i] = BitConverter.IsLittleEndian ? source[i] : BinaryPrimitives.ReverseEndianness(source[i]);
            }
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        if (_view is not null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
        }
        _file?.Dispose();
    }
}
