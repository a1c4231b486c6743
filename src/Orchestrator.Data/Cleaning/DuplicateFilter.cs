using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Orchestrator.Data.Cleaning;

/// <summary>
/// Remembers the SHA-256 of every document seen and reports repeats, so scraped corpora full of boilerplate pages
/// do not teach the model to memorize them (and do not leak a training document into validation).
/// Keeps the 32-byte digest per document, not the text.
/// </summary>
public sealed class DuplicateFilter
{
    private readonly HashSet<(UInt128, UInt128)> _seen = [];

    /// <summary>True the first time a text is seen, false for every exact repeat.</summary>
    public bool IsFirstOccurrence(string text)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), hash);
        var digest = (BinaryPrimitives.ReadUInt128LittleEndian(hash), BinaryPrimitives.ReadUInt128LittleEndian(hash[16..]));
        return _seen.Add(digest);
    }
}
