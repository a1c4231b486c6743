namespace Orchestrator.Data.Tokenizers.Bpe;

/// <summary>
/// Max-heap of candidate merges ordered by (count descending, left id ascending, right id ascending): the documented,
/// thread-count-independent tie-break of the trainer. Entries may be stale (the pair's count fell since it was pushed);
/// the trainer checks on pop and re-pushes the current count, which is cheaper than updating entries in place.
/// </summary>
internal sealed class PairQueue
{
    private Entry[] _heap = new Entry[1024];

    public int Count { get; private set; }

    public void Push(long count, int left, int right, int pair)
    {
        if (Count == _heap.Length)
        {
            Array.Resize(ref _heap, _heap.Length * 2);
        }

        var entry = new Entry(count, left, right, pair);
        int i = Count++;
        while (i > 0)
        {
            int parent = (i - 1) >> 1;
            if (!Before(entry, _heap[parent]))
            {
                break;
            }

            _heap[i] = _heap[parent];
            i = parent;
        }

        _heap[i] = entry;
    }

    public (long Count, int Pair) Pop()
    {
        if (Count == 0)
        {
            throw new InvalidOperationException("The pair queue is empty.");
        }

        var top = _heap[0];
        var last = _heap[--Count];
        int i = 0;
        while (true)
        {
            int child = 2 * i + 1;
            if (child >= Count)
            {
                break;
            }

            if (child + 1 < Count && Before(_heap[child + 1], _heap[child]))
            {
                child++;
            }

            if (!Before(_heap[child], last))
            {
                break;
            }

            _heap[i] = _heap[child];
            i = child;
        }

        if (Count > 0)
        {
            _heap[i] = last;
        }

        return (top.Count, top.Pair);
    }

    private static bool Before(in Entry a, in Entry b) =>
        a.Count != b.Count ? a.Count > b.Count
        : a.Left != b.Left ? a.Left < b.Left
        : a.Right < b.Right;

    private readonly record struct Entry(long Count, int Left, int Right, int Pair);
}
