using static TorchSharp.torch;

namespace Orchestrator.Models.Recurrent;

/// <summary>
/// The decoding state of a recurrent model: its hidden state <c>(n_layer, B, n_embd)</c>, plus the cell state for an
/// LSTM. Unlike a KV cache it does not grow, so a recurrent model can decode without a length limit.
/// Owns its tensors (outside any dispose scope): dispose it.
/// </summary>
public sealed class RecurrentState : DecodingState
{
    private bool disposed;

    internal RecurrentState(Tensor hidden, Tensor? cell)
    {
        Hidden = hidden.DetachFromDisposeScope();
        Cell = cell?.DetachFromDisposeScope();
    }

    /// <summary>The number of sequences decoded side by side.</summary>
    public int BatchSize => (int)Hidden.shape[1];

    internal Tensor Hidden { get; private set; }

    internal Tensor? Cell { get; private set; }

    /// <summary>Replaces the state after <paramref name="newTokens"/> more tokens, taking ownership of the new tensors.</summary>
    internal void Update(Tensor hidden, Tensor? cell, int newTokens)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        Hidden.Dispose();
        Cell?.Dispose();
        Hidden = hidden.DetachFromDisposeScope();
        Cell = cell?.DetachFromDisposeScope();
        Length += newTokens;
    }

    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(disposed, this);

    public override void Dispose()
    {
        if (disposed) return;
        disposed = true;
        Hidden.Dispose();
        Cell?.Dispose();
    }
}
