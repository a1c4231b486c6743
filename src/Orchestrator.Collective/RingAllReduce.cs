using System.Runtime.InteropServices;
using Orchestrator.Collective.Numerics;
using Orchestrator.Collective.Protos;
using Orchestrator.Collective.Transport;

namespace Orchestrator.Collective;

/// <summary>
/// Ring all-reduce of one float32 buffer in place: N−1 reduce-scatter steps leave rank r owning the fully reduced
/// chunk (r+1) mod N, then N−1 all-gather steps pass every owned chunk around. Each rank sends and receives
/// 2(N−1)/N of the buffer, whatever N. Steps are pipelined per message: a received run is folded in and sent on at
/// once, so the ring never waits for a whole chunk.
/// </summary>
/// <remarks>
/// Every element is reduced along exactly one path and then copied, so all ranks end with bit-identical results
/// (with bf16 the owner rounds its own copy to what it sends). Runs sent from the caller's buffer are read only
/// when serialised (see <see cref="OutgoingChunk"/>); that is safe because each such run is only overwritten by
/// data that causally depends on it having arrived, and the final flush covers the rest.
/// </remarks>
internal static class RingAllReduce
{
    public static async Task RunAsync(OperationContext op, Memory<float> buffer, ReduceOp reduce, bool bf16, int frameElements)
    {
        int n = op.WorldSize, rank = op.Rank;
        var layout = new ChunkLayout(buffer.Length, n);
        var encoding = bf16 ? Encoding.Bfloat16 : Encoding.Float32;
        SendRun(op, buffer, 0, (int)layout.Start(rank), (int)layout.End(rank), encoding, frameElements);
        var lastReduceStep = n - 2;
        var lastStep = 2 * (n - 1) - 1;
        for (var step = 0; step <= lastStep; step++)
        {
            var chunk = Mod(rank - step - 1, n);
            long position = layout.Start(chunk), end = layout.End(chunk);
            while (position < end)
            {
                var (received, count) = await op.ReceiveAsync(step, position, end).ConfigureAwait(false);
                var run = buffer.Slice((int)position, count);
                if (step <= lastReduceStep)
                {
                    Fold(run.Span, received, reduce);
                    received.Release();
                    if (step == lastReduceStep)
                        Finish(run.Span, reduce, n, bf16);
                    SendRun(op, buffer, step + 1, (int)position, (int)position + count, encoding, count);
                }
                else
                {
                    Store(run.Span, received);
                    if (step < lastStep)
                        op.Forward(step + 1, received);
                    else
                        received.Release();
                }

                position += count;
            }
        }

        await op.FlushAsync().ConfigureAwait(false);
    }

    private static void SendRun(OperationContext op, Memory<float> buffer, int step, int start, int end, Encoding encoding, int frameElements)
    {
        for (var offset = start; offset < end; offset += frameElements)
            op.Send(step, offset, encoding, buffer.Slice(offset, Math.Min(frameElements, end - offset)));
    }

    private static void Fold(Span<float> run, ReceivedChunk received, ReduceOp reduce)
    {
        var payload = received.Payload;
        if (received.Header.Encoding == Encoding.Bfloat16)
            Reduction.AccumulateBf16(run, MemoryMarshal.Cast<byte, ushort>(payload), reduce);
        else
            Reduction.Accumulate(run, MemoryMarshal.Cast<byte, float>(payload), reduce);
    }

    // The owner's last touch before the run travels the all-gather: average, and round to what bf16 will carry.
    private static void Finish(Span<float> run, ReduceOp reduce, int worldSize, bool bf16)
    {
        if (reduce == ReduceOp.Average)
            Reduction.Divide(run, worldSize);
        if (bf16)
            BFloat16.RoundInPlace(run);
    }

    private static void Store(Span<float> run, ReceivedChunk received)
    {
        var payload = received.Payload;
        if (received.Header.Encoding == Encoding.Bfloat16)
            BFloat16.Decode(MemoryMarshal.Cast<byte, ushort>(payload), run);
        else
            MemoryMarshal.Cast<byte, float>(payload).CopyTo(run);
    }

    private static int Mod(int value, int modulus) => ((value % modulus) + modulus) % modulus;
}
