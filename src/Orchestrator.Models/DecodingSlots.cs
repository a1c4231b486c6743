using static TorchSharp.torch;

namespace Orchestrator.Models;

/// <summary>
/// Decoding states for many independent sequences of different lengths ("slots"), so one batched forward can advance
/// several of them at once (<see cref="LanguageModel.ForwardSlots"/>). A scheduler starts a sequence in an empty slot,
/// feeds it prompt and generated tokens, and <see cref="Clear"/>s the slot when the sequence ends.
/// Owns native tensors: dispose it.
/// </summary>
public abstract class DecodingSlots : IDisposable
{
    private readonly int[] lengths;

    protected DecodingSlots(int slotCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(slotCount);
        lengths = new int[slotCount];
    }

    /// <summary>How many sequences the state can hold side by side.</summary>
    public int SlotCount => lengths.Length;

    /// <summary>How many tokens a slot can hold, or <c>null</c> when unbounded (recurrent models).</summary>
    public abstract int? Capacity { get; }

    /// <summary>Tokens fed so far to <paramref name="slot"/>: the position of its next token.</summary>
    public int LengthOf(int slot) => lengths[CheckSlot(slot)];

    /// <summary>Empties <paramref name="slot"/> so a new sequence can start in it.</summary>
    public void Clear(int slot)
    {
        CheckSlot(slot);
        ClearCore(slot);
        lengths[slot] = 0;
    }

    /// <summary>
    /// Moves the sequence in <paramref name="from"/> into <paramref name="to"/> and empties <paramref name="from"/>.
    /// Lets a scheduler keep its running sequences in slots <c>0..B-1</c>, which GPT attends to without gathering.
    /// </summary>
    public void Move(int from, int to)
    {
        CheckSlot(from);
        CheckSlot(to);
        if (from == to) return;
        MoveCore(from, to, lengths[from]);
        lengths[to] = lengths[from];
        lengths[from] = 0;
    }

    public abstract void Dispose();

    protected abstract void ClearCore(int slot);

    protected abstract void MoveCore(int from, int to, int length);

    /// <summary>Records that <paramref name="slot"/> took <paramref name="newTokens"/> more tokens.</summary>
    protected void Advance(int slot, int newTokens) => lengths[slot] += newTokens;

    /// <summary>
    /// Checks the arguments of <see cref="LanguageModel.ForwardSlots"/> before anything is written: one row per slot,
    /// each slot at most once, each count in <c>[1, T]</c>, and room for the new tokens.
    /// </summary>
    internal void CheckBatch(Tensor idx, IReadOnlyList<int> tokenCounts, IReadOnlyList<int> slots)
    {
        if (idx.dim() != 2)
            throw new ArgumentException($"Token ids must be (B, T); got {idx.dim()} dimensions.", nameof(idx));
        var (batch, time) = ((int)idx.shape[0], (int)idx.shape[1]);
        if (tokenCounts.Count != batch || slots.Count != batch)
            throw new ArgumentException($"The input has {batch} rows but {tokenCounts.Count} token counts and {slots.Count} slots: give one of each per row.");
        var seen = new HashSet<int>();
        for (var row = 0; row < batch; row++)
        {
            var slot = CheckSlot(slots[row]);
            if (!seen.Add(slot))
                throw new ArgumentException($"Slot {slot} appears twice in one batch: each row must advance a different sequence.", nameof(slots));
            if (tokenCounts[row] < 1 || tokenCounts[row] > time)
                throw new ArgumentOutOfRangeException(nameof(tokenCounts), tokenCounts[row], $"Row {row} must feed between 1 and T = {time} tokens.");
            if (Capacity is { } capacity && lengths[slot] + tokenCounts[row] > capacity)
                throw new InvalidOperationException(
                    $"Slot {slot} holds {lengths[slot]} tokens and cannot take {tokenCounts[row]} more: block_size is {capacity}. " +
                    "Clear the slot and feed the most recent tokens again.");
        }
    }

    private int CheckSlot(int slot)
    {
        if ((uint)slot >= (uint)lengths.Length)
            throw new ArgumentOutOfRangeException(nameof(slot), slot, $"Slots are numbered 0..{lengths.Length - 1}.");
        return slot;
    }
}
