using System.Runtime.InteropServices;
using Orchestrator.Collective.Protos;

namespace Orchestrator.Collective;

/// <summary>
/// Sums a few float64 control values (losses, token counts, non-finite flags) by gathering every rank's vector
/// around the ring and adding them in rank order 0..N−1. Every rank thus performs the same additions in the same
/// order and gets bit-identical float64 results, which keeps decisions such as "skip this step" unanimous.
/// <see cref="GatherAsync"/> passes float32 blocks around the same way and returns them unchanged.
/// </summary>
internal static class RingAllGather
{
    public static async Task<double[]> SumAsync(OperationContext op, double[] values, int frameElements)
    {
        SendBlock(op, 0, op.Rank, values, frameElements);
        var gathered = await ReceiveBlocksAsync(op, values).ConfigureAwait(false);
        var sum = new double[values.Length];
        foreach (var block in gathered)
        {
            for (var i = 0; i < sum.Length; i++)
                sum[i] += block[i];
        }

        return sum;
    }

    /// <summary>Every rank's block of <paramref name="values"/>, indexed by rank; payloads are copied, never rounded.</summary>
    public static async Task<float[][]> GatherAsync(OperationContext op, ReadOnlyMemory<float> values, int frameElements)
    {
        var start = (long)op.Rank * values.Length;
        for (var offset = 0; offset < values.Length; offset += frameElements)
            op.Send(0, start + offset, Encoding.Float32, values.Slice(offset, Math.Min(frameElements, values.Length - offset)));
        return await ReceiveBlocksAsync(op, values.ToArray()).ConfigureAwait(false);
    }

    /// <summary>
    /// The receiving half of both: once this rank's own block is sent, takes the other ranks' blocks as they come round
    /// (the one from rank − 1 first), forwarding each to the right neighbour unless it is the last to arrive, which
    /// has already been everywhere. Returns every rank's block, indexed by rank, <paramref name="own"/> at this rank.
    /// </summary>
    private static async Task<T[][]> ReceiveBlocksAsync<T>(OperationContext op, T[] own) where T : struct
    {
        int n = op.WorldSize, rank = op.Rank, length = own.Length;
        var gathered = new T[n][];
        gathered[rank] = own;
        for (var step = 0; step < n - 1; step++)
        {
            var source = ((rank - step - 1) % n + n) % n;
            var block = new T[length];
            long first = (long)source * length, position = first, end = first + length;
            while (position < end)
            {
                var (received, count) = await op.ReceiveAsync(step, position, end).ConfigureAwait(false);
                MemoryMarshal.Cast<byte, T>(received.Payload).CopyTo(block.AsSpan((int)(position - first), count));
                if (step < n - 2)
                    op.Forward(step + 1, received);
                else
                    received.Release();
                position += count;
            }

            gathered[source] = block;
        }

        await op.FlushAsync().ConfigureAwait(false);
        return gathered;
    }

    private static void SendBlock(OperationContext op, int step, int source, double[] values, int frameElements)
    {
        var start = (long)source * values.Length;
        for (var offset = 0; offset < values.Length; offset += frameElements)
        {
            var count = Math.Min(frameElements, values.Length - offset);
            var bytes = MemoryMarshal.AsBytes(values.AsSpan(offset, count)).ToArray(); // a few control values
            op.Send(step, start + offset, Encoding.Float64, bytes.AsMemory());
        }
    }
}
