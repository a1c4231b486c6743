using static TorchSharp.torch;

namespace Orchestrator.Models;

/// <summary>
/// Slots as one ordinary <see cref="DecodingState"/> per sequence, advanced one row at a time. The fallback that lets
/// any <see cref="LanguageModel"/> serve a batch correctly before it has a truly batched implementation.
/// </summary>
internal sealed class SequentialDecodingSlots(LanguageModel model, int slotCount, Device device) : DecodingSlots(slotCount)
{
    private readonly DecodingState?[] states = new DecodingState?[slotCount];

    public override int? Capacity => model.MaxDecodingLength;

    /// <summary>Feeds each row to its slot's own state and pads the logits back to <c>(B, T, V)</c>.</summary>
    public Tensor Forward(Tensor idx, IReadOnlyList<int> tokenCounts, IReadOnlyList<int> slots)
    {
        var time = idx.shape[1];
        var rows = new Tensor[slots.Count];
        for (var row = 0; row < slots.Count; row++)
        {
            var slot = slots[row];
            var state = states[slot] ??= model.CreateDecodingState(1, device);
            var count = tokenCounts[row];
            var logits = model.ForwardIncremental(idx.narrow(0, row, 1).narrow(1, 0, count), state); // (1, count, V)
            rows[row] = count == time ? logits : nn.functional.pad(logits, [0, 0, 0, time - count]);
            Advance(slot, count);
        }
        return cat(rows, 0); // (B, T, V)
    }

    protected override void ClearCore(int slot)
    {
        states[slot]?.Dispose();
        states[slot] = null;
    }

    protected override void MoveCore(int from, int to, int length)
    {
        states[to]?.Dispose();
        states[to] = states[from];
        states[from] = null;
    }

    public override void Dispose()
    {
        for (var slot = 0; slot < states.Length; slot++) ClearCore(slot);
    }
}
