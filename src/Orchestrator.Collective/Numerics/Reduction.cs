using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Orchestrator.Collective.Numerics;

/// <summary>
/// Vectorised element-wise kernels of the ring: fold a received run into the local one, finish an average. Each
/// reduction is a struct type argument, so the JIT compiles one branch-free loop per reduction.
/// </summary>
internal static class Reduction
{
    public static void Accumulate(Span<float> destination, ReadOnlySpan<float> source, ReduceOp op)
    {
        if (source.Length != destination.Length)
            throw new ArgumentException($"Cannot reduce {source.Length} received values into {destination.Length} local ones.", nameof(source));
        switch (op)
        {
            case ReduceOp.Sum or ReduceOp.Average: Accumulate<Add>(destination, source); break;
            case ReduceOp.Max: Accumulate<Maximum>(destination, source); break;
            case ReduceOp.Min: Accumulate<Minimum>(destination, source); break;
            default: throw new ArgumentOutOfRangeException(nameof(op), op, "Unknown reduction.");
        }
    }

    /// <summary>Widens bf16 values to float32 and folds them in, in one pass.</summary>
    public static void AccumulateBf16(Span<float> destination, ReadOnlySpan<ushort> source, ReduceOp op)
    {
        if (source.Length != destination.Length)
            throw new ArgumentException($"Cannot reduce {source.Length} received values into {destination.Length} local ones.", nameof(source));
        switch (op)
        {
            case ReduceOp.Sum or ReduceOp.Average: AccumulateBf16<Add>(destination, source); break;
            case ReduceOp.Max: AccumulateBf16<Maximum>(destination, source); break;
            case ReduceOp.Min: AccumulateBf16<Minimum>(destination, source); break;
            default: throw new ArgumentOutOfRangeException(nameof(op), op, "Unknown reduction.");
        }
    }

    public static void Divide(Span<float> values, float divisor)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref var start = ref MemoryMarshal.GetReference(values);
            var d = Vector256.Create(divisor);
            for (; i <= values.Length - 8; i += 8)
                (Vector256.LoadUnsafe(ref start, (nuint)i) / d).StoreUnsafe(ref start, (nuint)i);
        }

        for (; i < values.Length; i++)
            values[i] /= divisor;
    }

    private static void Accumulate<TOp>(Span<float> destination, ReadOnlySpan<float> source)
        where TOp : struct, IReduction
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref var local = ref MemoryMarshal.GetReference(destination);
            ref var remote = ref MemoryMarshal.GetReference(source);
            for (; i <= destination.Length - 8; i += 8)
                TOp.Apply(Vector256.LoadUnsafe(ref local, (nuint)i), Vector256.LoadUnsafe(ref remote, (nuint)i)).StoreUnsafe(ref local, (nuint)i);
        }

        for (; i < destination.Length; i++)
            destination[i] = TOp.Apply(destination[i], source[i]);
    }

    private static void AccumulateBf16<TOp>(Span<float> destination, ReadOnlySpan<ushort> source)
        where TOp : struct, IReduction
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref var local = ref MemoryMarshal.GetReference(destination);
            ref var remote = ref MemoryMarshal.GetReference(source);
            for (; i <= destination.Length - 16; i += 16)
            {
                var (low, high) = Vector256.Widen(Vector256.LoadUnsafe(ref remote, (nuint)i));
                TOp.Apply(Vector256.LoadUnsafe(ref local, (nuint)i), (low << 16).AsSingle()).StoreUnsafe(ref local, (nuint)i);
                TOp.Apply(Vector256.LoadUnsafe(ref local, (nuint)i + 8), (high << 16).AsSingle()).StoreUnsafe(ref local, (nuint)i + 8);
            }
        }

        for (; i < destination.Length; i++)
            destination[i] = TOp.Apply(destination[i], BFloat16.ToSingle(source[i]));
    }

    private interface IReduction
    {
        static abstract Vector256<float> Apply(Vector256<float> local, Vector256<float> remote);

        static abstract float Apply(float local, float remote);
    }

    private readonly struct Add : IReduction
    {
        public static Vector256<float> Apply(Vector256<float> local, Vector256<float> remote) => local + remote;

        public static float Apply(float local, float remote) => local + remote;
    }

    private readonly struct Maximum : IReduction
    {
        public static Vector256<float> Apply(Vector256<float> local, Vector256<float> remote) => Vector256.Max(local, remote);

        public static float Apply(float local, float remote) => MathF.Max(local, remote);
    }

    private readonly struct Minimum : IReduction
    {
        public static Vector256<float> Apply(Vector256<float> local, Vector256<float> remote) => Vector256.Min(local, remote);

        public static float Apply(float local, float remote) => MathF.Min(local, remote);
    }
}
