using System.Numerics;
using System.Runtime.CompilerServices;

namespace Orchestrator.Data.Tokenizers.Bpe;

/// <summary>
/// Maps a token pair to its dense pair id: open addressing with linear probing over two flat arrays. The merge loop
/// looks pairs up several times per merged occurrence, so this map is its hottest structure; a general-purpose
/// dictionary costs noticeably more here (and starts in unoptimised shared code on every run).
/// </summary>
internal sealed class PairIndex
{
    private const long Empty = -1;
    private long[] _keys;
    private int[] _ids;
    private int _count;
    private int _shift;

    public PairIndex(int capacity = 1 << 12)
    {
        int size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, capacity * 2));
        _keys = new long[size];
        _ids = new int[size];
        Array.Fill(_keys, Empty);
        _shift = 64 - BitOperations.Log2((uint)size);
    }

    /// <summary>A reference to the id stored for (left, right); for a new pair the slot is reserved (holding -1) and the caller writes the id into it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ref int GetOrAddSlot(int left, int right, out bool exists)
    {
        if (_count * 2 >= _keys.Length)
        {
            Grow();
        }

        long key = ((long)left << 32) | (uint)right;
        int mask = _keys.Length - 1;
        int slot = (int)((ulong)(key * unchecked((long)0x9E3779B97F4A7C15)) >> _shift);
        while (true)
        {
            long existing = _keys[slot];
            if (existing == key)
            {
                exists = true;
                return ref _ids[slot];
            }

            if (existing == Empty)
            {
                _keys[slot] = key;
                _ids[slot] = -1;
                _count++;
                exists = false;
                return ref _ids[slot];
            }

            slot = (slot + 1) & mask;
        }
    }

    private void Grow()
    {
        var (keys, ids) = (_keys, _ids);
        int size = keys.Length * 2;
        _keys = new long[size];
        _ids = new int[size];
        Array.Fill(_keys, Empty);
        _shift = 64 - BitOperations.Log2((uint)size);
        int mask = size - 1;
        for (int i = 0; i < keys.Length; i++)
        {
            if (keys[i] == Empty)
            {
                continue;
            }

            int slot = (int)((ulong)(keys[i] * unchecked((long)0x9E3779B97F4A7C15)) >> _shift);
            while (_keys[slot] != Empty)
            {
                slot = (slot + 1) & mask;
            }

            _keys[slot] = keys[i];
            _ids[slot] = ids[i];
        }
    }
}
