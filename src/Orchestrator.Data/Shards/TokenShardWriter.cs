using System.Buffers.Binary;

namespace Orchestrator.Data.Shards;

/// <summary>
/// Writes token ids as a flat little-endian array (the nanoGPT <c>.bin</c> layout, readable with
/// <c>numpy.memmap(path, dtype=np.uint16)</c>). The file appears atomically: it is written to a temporary sibling,
/// flushed to disk and renamed, so a reader never sees half a shard.
/// </summary>
public static class TokenShardWriter
{
    private const int BufferBytes = 1 << 20;

    public static void Write(string path, ReadOnlySpan<int> tokens, TokenDType dtype)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fullPath = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(fullPath)!;
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0))
            {
                WriteTokens(stream, tokens, dtype, fullPath);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, fullPath, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    private static void WriteTokens(FileStream stream, ReadOnlySpan<int> tokens, TokenDType dtype, string path)
    {
        var size = dtype.SizeInBytes();
        var maxId = dtype.MaxId();
        var buffer = new byte[BufferBytes];
        var perChunk = BufferBytes / size;
        for (var start = 0; start < tokens.Length; start += perChunk)
        {
            var chunk = tokens.Slice(start, Math.Min(perChunk, tokens.Length - start));
            for (var i = 0; i < chunk.Length; i++)
            {
                var id = chunk[i];
                if (id < 0 || id > maxId)
                {
                    throw new ArgumentOutOfRangeException(nameof(tokens), id,
                        $"Token {start + i} has id {id}, which {dtype.Name()} cannot store in '{path}'; " +
                        $"ids must be in [0, {maxId}] (use uint32 for vocabularies over 65,535).");
                }
                if (dtype == TokenDType.UInt16)
                {
                    BinaryPrimitives.WriteUInt16LittleEndian(buffer.AsSpan(i * 2), (ushort)id);
                }
                else
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(i * 4), (uint)id);
                }
            }
            stream.Write(buffer, 0, chunk.Length * size);
        }
    }
}
