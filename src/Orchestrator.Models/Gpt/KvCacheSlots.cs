using TorchSharp;
using static TorchSharp.torch;

namespace Orchestrator.Models.Gpt;

/// <summary>
/// Keys and values for many sequences of different lengths in one buffer per layer, <c>(slots, nh, block_size, hs)</c>,
/// so a batched decoding step attends all of them with one fused call over the padded cache and a mask. Sequences
/// kept in slots <c>0..B-1</c> (see <see cref="DecodingSlots.Move"/>) are read as a view, without gathering.
/// Owns its buffers (outside any dispose scope): dispose it.
/// </summary>
public sealed class KvCacheSlots : DecodingSlots
{
    private readonly Tensor[] keys;
    private readonly Tensor[] values;
    private readonly int capacity;
    private bool disposed;

    internal KvCacheSlots(int layers, int slotCount, int heads, int capacity, int headSize, ScalarType dtype, Device device)
        : base(slotCount)
    {
        this.capacity = capacity;
        keys = new Tensor[layers];
        values = new Tensor[layers];
        for (var layer = 0; layer < layers; layer++)
        {
            keys[layer] = zeros([slotCount, heads, capacity, headSize], dtype, device).DetachFromDisposeScope();
            values[layer] = zeros([slotCount, heads, capacity, headSize], dtype, device).DetachFromDisposeScope();
        }
    }

    public override int? Capacity => capacity;

    /// <summary>Works out, once per forward, where each row's tokens sit and what each query may see.</summary>
    internal SlotBatch Prepare(IReadOnlyList<int> tokenCounts, IReadOnlyList<int> slots, int time, Device device)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var batch = slots.Count;
        var starts = new long[batch];
        var keyLength = 0;
        var written = tokenCounts.Sum();
        var (writeRows, writeSlots, writePositions) = (new long[written], new long[written], new long[written]);
        var positions = new long[batch * time];
        var next = 0;
        for (var row = 0; row < batch; row++)
        {
            starts[row] = LengthOf(slots[row]);
            keyLength = Math.Max(keyLength, (int)starts[row] + tokenCounts[row]);
            for (var i = 0; i < time; i++)
                positions[row * time + i] = Math.Min(starts[row] + i, capacity - 1); // padded positions stay inside wpe
            for (var i = 0; i < tokenCounts[row]; i++, next++)
                (writeRows[next], writeSlots[next], writePositions[next]) = (row * time + i, slots[row], starts[row] + i);
        }

        var contiguous = Enumerable.Range(0, batch).All(row => slots[row] == slots[0] + row);
        // Query i of row b sits at position start_b + i and may see keys 0 ..= start_b + i. Key 0 is always visible, so
        // no row is fully masked (which would give NaN), and padded queries only ever produce ignored logits.
        var keyPositions = arange(keyLength, dtype: ScalarType.Int64, device: device).view(1, 1, 1, keyLength);                 // (1, 1, 1, Lk)
        var lastVisible = tensor(starts, [batch, 1, 1, 1], device: device) + arange(time, dtype: ScalarType.Int64, device: device).view(1, 1, time, 1); // (B, 1, T, 1)
        return new SlotBatch(
            Slots: slots.ToArray(),
            TokenCounts: tokenCounts.ToArray(),
            Positions: tensor(positions, [batch, time], device: device),
            Mask: keyPositions <= lastVisible, // (B, 1, T, Lk)
            KeyLength: keyLength,
            FirstSlot: contiguous ? slots[0] : null,
            Gather: contiguous ? null : tensor(slots.Select(s => (long)s).ToArray(), device: device),
            WriteRows: tensor(writeRows, device: device),
            WriteSlots: tensor(writeSlots, device: device),
            WritePositions: tensor(writePositions, device: device));
    }

    /// <summary>
    /// Stores a layer's new keys and values <c>(B, nh, T, hs)</c> (only each row's real tokens) and returns the batch's
    /// cached keys and values <c>(B, nh, Lk, hs)</c>, padded to the longest sequence.
    /// </summary>
    internal (Tensor Keys, Tensor Values) Append(int layer, Tensor k, Tensor v, SlotBatch batch)
    {
        Store(keys[layer], k, batch);
        Store(values[layer], v, batch);
        return (Read(keys[layer], batch), Read(values[layer], batch));
    }

    /// <summary>Marks every row's tokens as cached once all layers have appended them.</summary>
    internal void Commit(SlotBatch batch)
    {
        for (var row = 0; row < batch.Slots.Length; row++)
            Advance(batch.Slots[row], batch.TokenCounts[row]);
    }

    protected override void ClearCore(int slot) => ObjectDisposedException.ThrowIf(disposed, this);

    protected override void MoveCore(int from, int to, int length)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (length == 0) return;
        using var scope = NewDisposeScope();
        foreach (var buffer in keys.Concat(values))
            buffer[to].narrow(1, 0, length).copy_(buffer[from].narrow(1, 0, length));
    }

    public override void Dispose()
    {
        if (disposed) return;
        disposed = true;
        foreach (var t in keys) t.Dispose();
        foreach (var t in values) t.Dispose();
    }

    private static void Store(Tensor buffer, Tensor fresh, SlotBatch batch)
    {
        var (rows, heads, time, headSize) = (fresh.shape[0], fresh.shape[1], fresh.shape[2], fresh.shape[3]);
        // (B, nh, T, hs) -> (B·T, nh, hs) -> (N, nh, hs): the real tokens only, so padding never overwrites a neighbour.
        var real = fresh.transpose(1, 2).reshape(rows * time, heads, headSize).index_select(0, batch.WriteRows);
        buffer.index_put_(real, TensorIndex.Tensor(batch.WriteSlots), TensorIndex.Colon, TensorIndex.Tensor(batch.WritePositions));
    }

    private static Tensor Read(Tensor buffer, SlotBatch batch)
    {
        var rows = batch.FirstSlot is { } first
            ? buffer.narrow(0, first, batch.Slots.Length)
            : buffer.index_select(0, batch.Gather!);
        return rows.narrow(2, 0, batch.KeyLength); // (B, nh, Lk, hs)
    }
}
