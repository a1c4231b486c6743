using System.Numerics;
using System.Runtime.InteropServices;

namespace Orchestrator.Collective.Numerics;

/// <summary>Vectorised element-wise kernels of the ring: fold a received run into the local one, finish an average.</summary>
internal static class Reduction
{
    private const int Bf16BlockElements = 2048;

    public static void Accumulate(Span<float> destination, ReadOnlySpan<float> source, ReduceOp op)
    {
        if (source.Length != destination.Length)
            throw new ArgumentException($"Cannot reduce {source.Length} received values into {destination.Length} local ones.", nameof(source));
        var i = 0;
        var width = Vector<float>.Count;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= destination.Length - width; i += width)
            {
                var local = new Vector<float>(destination.Slice(i, width));
                var remote = new Vector<float>(source.Slice(i, width));
                Combine(local, remote, op).CopyTo(destination.Slice(i, width));
            }
        }

        for (; i < destination.Length; i++)
            destination[i] = Combine(destination[i], source[i], op);
    }

    /// <summary>Decodes bf16 values block by block on the stack and folds them in, so no heap buffer is needed.</summary>
    public static void AccumulateBf16(Span<float> destination, ReadOnlySpan<ushort> source, ReduceOp op)
    {
        if (source.Length != destination.Length)
            throw new ArgumentException($"Cannot reduce {source.Length} received values into {destination.Length} local ones.", nameof(source));
        Span<float> block = stackalloc float[Bf16BlockElements];
        for (var start = 0; start < source.Length; start += Bf16BlockElements)
        {
            var count = Math.Min(Bf16BlockElements, source.Length - start);
            BFloat16.Decode(source.Slice(start, count), block);
            Accumulate(destination.Slice(start, count), block[..count], op);
        }
    }

    public static void Divide(Span<float> values, float divisor)
    {
        var i = 0;
        var width = Vector<float>.Count;
        if (Vector.IsHardwareAccelerated)
        {
            var d = new Vector<float>(divisor);
            for (; i <= values.Length - width; i += width)
                (new Vector<float>(values.Slice(i, width)) / d).CopyTo(values.Slice(i, width));
        }

        for (; i < values.Length; i++)
            values[i] /= divisor;
    }

    public static ReadOnlySpan<float> AsFloats(ReadOnlySpan<byte> payload) => MemoryMarshal.Cast<byte, float>(payload);

    private static Vector<float> Combine(Vector<float> local, Vector<float> remote, ReduceOp op) => op switch
    {
        ReduceOp.Sum or ReduceOp.Average => local + remote,
        ReduceOp.Max => Vector.Max(local, remote),
        ReduceOp.Min => Vector.Min(local, remote),
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, "Unknown reduction."),
    };

    private static float Combine(float local, float remote, ReduceOp op) => op switch
    {
        ReduceOp.Sum or ReduceOp.Average => local + remote,
        ReduceOp.Max => MathF.Max(local, remote),
        ReduceOp.Min => MathF.Min(local, remote),
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, "Unknown reduction."),
    };
}
