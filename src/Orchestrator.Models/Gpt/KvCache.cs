using TorchSharp;
using static TorchSharp.torch;

namespace Orchestrator.Models.Gpt;

/// <summary>
/// The keys and values of every layer for the tokens fed so far, so each decoding step attends to the past
/// without recomputing it. Buffers are allocated once at <c>block_size</c> and written in place: appending by
/// concatenation would copy the whole cache every token. Owns its buffers (outside any dispose scope): dispose it.
/// </summary>
public sealed class KvCache : DecodingState
{
    private readonly Tensor[] keys;
    private readonly Tensor[] values;
    private bool disposed;

    internal KvCache(int layers, int batchSize, int heads, int capacity, int headSize, ScalarType dtype, Device device)
    {
        BatchSize = batchSize;
        Capacity = capacity;
        keys = new Tensor[layers];
        values = new Tensor[layers];
        for (var layer = 0; layer < layers; layer++)
        {
            // (B, nh, block_size, hs): position on dim 2, as produced by the attention's head split.
            keys[layer] = zeros([batchSize, heads, capacity, headSize], dtype, device).DetachFromDisposeScope();
            values[layer] = zeros([batchSize, heads, capacity, headSize], dtype, device).DetachFromDisposeScope();
        }
    }

    /// <summary>The number of sequences decoded side by side.</summary>
    public int BatchSize { get; }

    /// <summary>The most tokens the cache can hold: the model's <c>block_size</c>, beyond which it has no position embedding.</summary>
    public int Capacity { get; }

    /// <summary>Throws unless <paramref name="newTokens"/> more tokens fit after the cached ones.</summary>
    internal void EnsureRoom(int newTokens)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (Length + newTokens > Capacity)
            throw new InvalidOperationException(
                $"The KV cache holds {Length} tokens and cannot take {newTokens} more: block_size is {Capacity}. " +
                "Start a new decoding state from the most recent tokens (TextGenerator re-prefills from the last block_size/2).");
    }

    /// <summary>
    /// Writes a layer's new keys and values <c>(B, nh, T_new, hs)</c> at positions <c>[Length, Length + T_new)</c> and
    /// returns views of all cached keys and values <c>(B, nh, Length + T_new, hs)</c>. <see cref="Advance"/> commits the step.
    /// </summary>
    internal (Tensor Keys, Tensor Values) Append(int layer, Tensor k, Tensor v)
    {
        var newTokens = (int)k.shape[2];
        keys[layer].narrow(2, Length, newTokens).copy_(k);
        values[layer].narrow(2, Length, newTokens).copy_(v);
        return (keys[layer].narrow(2, 0, Length + newTokens), values[layer].narrow(2, 0, Length + newTokens));
    }

    /// <summary>Marks <paramref name="newTokens"/> tokens as cached once every layer has appended them.</summary>
    internal void Advance(int newTokens) => Length += newTokens;

    public override void Dispose()
    {
        if (disposed) return;
        disposed = true;
        foreach (var t in keys) t.Dispose();
        foreach (var t in values) t.Dispose();
    }
}
