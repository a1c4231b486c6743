using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Orchestrator.Collective.Numerics;

/// <summary>
/// float32 ↔ bfloat16 (the upper 16 bits of a float32) with round-to-nearest-even, vectorised with AVX2 where
/// available. bf16 keeps float32's range, so gradients never overflow on the wire; only precision (8 significant
/// bits) is lost.
/// </summary>
internal static class BFloat16
{
    /// <summary>Rounds one value to the nearest bf16, ties to even; NaN stays a (quiet) NaN of the same sign.</summary>
    public static ushort FromSingle(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
            return (ushort)((bits >> 16) | 0x0040);
        var lsb = (bits >> 16) & 1;
        return (ushort)((bits + 0x7FFF + lsb) >> 16);
    }

    public static float ToSingle(ushort value) => BitConverter.UInt32BitsToSingle((uint)value << 16);

    public static void Encode(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        if (destination.Length < source.Length)
            throw new ArgumentException($"bf16 destination holds {destination.Length} values but {source.Length} must be encoded.", nameof(destination));
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref var from = ref MemoryMarshal.GetReference(MemoryMarshal.Cast<float, uint>(source));
            ref var to = ref MemoryMarshal.GetReference(destination);
            for (; i <= source.Length - 16; i += 16)
            {
                var low = Round(Vector256.LoadUnsafe(ref from, (nuint)i));
                var high = Round(Vector256.LoadUnsafe(ref from, (nuint)i + 8));
                Vector256.Narrow(low, high).StoreUnsafe(ref to, (nuint)i);
            }
        }

        for (; i < source.Length; i++)
            destination[i] = FromSingle(source[i]);
    }

    public static void Decode(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        if (destination.Length < source.Length)
            throw new ArgumentException($"float destination holds {destination.Length} values but {source.Length} must be decoded.", nameof(destination));
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref var from = ref MemoryMarshal.GetReference(source);
            ref var to = ref MemoryMarshal.GetReference(MemoryMarshal.Cast<float, uint>(destination));
            for (; i <= source.Length - 16; i += 16)
            {
                var (low, high) = Vector256.Widen(Vector256.LoadUnsafe(ref from, (nuint)i));
                (low << 16).StoreUnsafe(ref to, (nuint)i);
                (high << 16).StoreUnsafe(ref to, (nuint)i + 8);
            }
        }

        for (; i < source.Length; i++)
            destination[i] = ToSingle(source[i]);
    }

    /// <summary>Rounds float32 values in place to the nearest bf16 they would travel as.</summary>
    public static void RoundInPlace(Span<float> values)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref var bits = ref MemoryMarshal.GetReference(MemoryMarshal.Cast<float, uint>(values));
            for (; i <= values.Length - 8; i += 8)
                (Round(Vector256.LoadUnsafe(ref bits, (nuint)i)) << 16).StoreUnsafe(ref bits, (nuint)i);
        }

        for (; i < values.Length; i++)
            values[i] = ToSingle(FromSingle(values[i]));
    }

    // float32 bit patterns → bf16 bit patterns in the low half of each lane, exactly as FromSingle.
    private static Vector256<uint> Round(Vector256<uint> bits)
    {
        var rounded = (bits + Vector256.Create(0x7FFFu) + ((bits >> 16) & Vector256<uint>.One)) >> 16;
        var isNaN = Vector256.GreaterThan(bits & Vector256.Create(0x7FFF_FFFFu), Vector256.Create(0x7F80_0000u));
        return Vector256.ConditionalSelect(isNaN, (bits >> 16) | Vector256.Create(0x0040u), rounded);
    }
}
