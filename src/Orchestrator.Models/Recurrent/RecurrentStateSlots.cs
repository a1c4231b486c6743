using static TorchSharp.torch;

namespace Orchestrator.Models.Recurrent;

/// <summary>
/// The hidden (and LSTM cell) states of many sequences in one tensor, <c>(n_layer, slots, n_embd)</c>, so rows that feed
/// the same number of tokens run through the recurrent stack in one batched call. Owns its tensors: dispose it.
/// </summary>
public sealed class RecurrentStateSlots : DecodingSlots
{
    private readonly Tensor hidden;
    private readonly Tensor? cell;
    private bool disposed;

    internal RecurrentStateSlots(Tensor hidden, Tensor? cell) : base((int)hidden.shape[1])
    {
        this.hidden = hidden.DetachFromDisposeScope();
        this.cell = cell?.DetachFromDisposeScope();
    }

    public override int? Capacity => null;

    /// <summary>The states of <paramref name="slots"/> <c>(n_layer, B, n_embd)</c>, as copies.</summary>
    internal (Tensor Hidden, Tensor? Cell) Gather(Tensor slots)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        return (hidden.index_select(1, slots), cell?.index_select(1, slots));
    }

    /// <summary>Stores the states after <paramref name="newTokens"/> more tokens for <paramref name="slotIds"/>.</summary>
    internal void Scatter(Tensor slots, IReadOnlyList<int> slotIds, Tensor newHidden, Tensor? newCell, int newTokens)
    {
        hidden.index_copy_(1, slots, newHidden);
        cell?.index_copy_(1, slots, newCell!);
        foreach (var slot in slotIds) Advance(slot, newTokens);
    }

    protected override void ClearCore(int slot)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        using var scope = NewDisposeScope();
        hidden[.., slot].zero_();
        cell?[.., slot].zero_();
    }

    protected override void MoveCore(int from, int to, int length)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        using var scope = NewDisposeScope();
        hidden[.., to].copy_(hidden[.., from]);
        cell?[.., to].copy_(cell[.., from]);
        hidden[.., from].zero_();
        cell?[.., from].zero_();
    }

    public override void Dispose()
    {
        if (disposed) return;
        disposed = true;
        hidden.Dispose();
        cell?.Dispose();
    }
}
