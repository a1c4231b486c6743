using System.Numerics;
using System.Runtime.CompilerServices;

namespace Orchestrator.Data.Tokenizers.Bpe;

/// <summary>
/// Piece → occurrence count, looked up by span so counting allocates only for new pieces. Open addressing over flat
/// arrays with a cheap non-randomised hash: counting calls this once per piece of the corpus (millions of times), and it
/// runs optimised from the first call instead of warming up through shared framework code.
/// </summary>
internal sealed class PieceCounts
{
    private string?[] _keys;
    private long[] _counts;
    private uint[] _hashes;
    private int _shift;

    public PieceCounts(int capacity = 1 << 14)
    {
        int size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, capacity * 2));
        _keys = new string?[size];
        _counts = new long[size];
        _hashes = new uint[size];
        _shift = 32 - BitOperations.Log2((uint)size);
    }

    public int Count { get; private set; }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Add(ReadOnlySpan<char> piece, long count)
    {
        if (Count * 2 >= _keys.Length)
        {
            Grow();
        }

        uint hash = Hash(piece);
        int mask = _keys.Length - 1;
        int slot = (int)((hash * 0x9E3779B9u) >> _shift);
        while (true)
        {
            var key = _keys[slot];
            if (key is null)
            {
                _keys[slot] = piece.ToString();
                _hashes[slot] = hash;
                _counts[slot] = count;
                Count++;
                return;
            }

            if (_hashes[slot] == hash && piece.SequenceEqual(key))
            {
                _counts[slot] += count;
                return;
            }

            slot = (slot + 1) & mask;
        }
    }

    /// <summary>Adds every count of <paramref name="other"/> into this one.</summary>
    public void AddAll(PieceCounts other)
    {
        foreach (var (piece, count) in other.Entries())
        {
            Add(piece, count);
        }
    }

    public IEnumerable<(string Piece, long Count)> Entries()
    {
        for (int i = 0; i < _keys.Length; i++)
        {
            if (_keys[i] is { } key)
            {
                yield return (key, _counts[i]);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static uint Hash(ReadOnlySpan<char> piece)
    {
        uint hash = 2166136261;
        foreach (char c in piece)
        {
            hash = (hash ^ c) * 16777619;
        }

        return hash;
    }

    private void Grow()
    {
        var (keys, counts, hashes) = (_keys, _counts, _hashes);
        int size = keys.Length * 2;
        _keys = new string?[size];
        _counts = new long[size];
        _hashes = new uint[size];
        _shift = 32 - BitOperations.Log2((uint)size);
        int mask = size - 1;
        for (int i = 0; i < keys.Length; i++)
        {
            if (keys[i] is null)
            {
                continue;
            }

            int slot = (int)((hashes[i] * 0x9E3779B9u) >> _shift);
            while (_keys[slot] is not null)
            {
                slot = (slot + 1) & mask;
            }

            _keys[slot] = keys[i];
            _counts[slot] = counts[i];
            _hashes[slot] = hashes[i];
        }
    }
}
