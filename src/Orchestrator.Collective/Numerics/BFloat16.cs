using System.Numerics;
using System.Runtime.InteropServices;

namespace Orchestrator.Collective.Numerics;

/// <summary>
/// float32 ↔ bfloat16 (the upper 16 bits of a float32) with round-to-nearest-even, vectorised. bf16 keeps float32's
/// range, so gradients never overflow on the wire; only precision (8 significant bits) is lost.
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
        var width = Vector<uint>.Count;
        if (Vector.IsHardwareAccelerated && source.Length >= 2 * width)
        {
            var bits = MemoryMarshal.Cast<float, uint>(source);
            for (; i <= source.Length - 2 * width; i += 2 * width)
            {
                var low = Round(new Vector<uint>(bits.Slice(i, width)));
                var high = Round(new Vector<uint>(bits.Slice(i + width, width)));
                Vector.Narrow(low, high).CopyTo(destination.Slice(i, 2 * width));
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
        var width = Vector<ushort>.Count;
        if (Vector.IsHardwareAccelerated)
        {
            var bits = MemoryMarshal.Cast<float, uint>(destination);
            for (; i <= source.Length - width; i += width)
            {
                Vector.Widen(new Vector<ushort>(source.Slice(i, width)), out var low, out var high);
                (low << 16).CopyTo(bits.Slice(i, width / 2));
                (high << 16).CopyTo(bits.Slice(i + width / 2, width / 2));
            }
        }

        for (; i < source.Length; i++)
            destination[i] = ToSingle(source[i]);
    }

    /// <summary>Rounds float32 values in place to the nearest bf16 they would travel as.</summary>
    public static void RoundInPlace(Span<float> values)
    {
        for (var i = 0; i < values.Length; i++)
            values[i] = ToSingle(FromSingle(values[i]));
    }

    // Bit patterns of float32 lanes → bf16 bit patterns in the low half of each lane.
    private static Vector<uint> Round(Vector<uint> bits)
    {
        var lsb = (bits >> 16) & Vector<uint>.One;
        var rounded = (bits + new Vector<uint>(0x7FFF) + lsb) >> 16;
        var exponentAllOnes = Vector.Equals(bits & new Vector<uint>(0x7F80_0000), new Vector<uint>(0x7F80_0000));
        var mantissaNonZero = ~Vector.Equals(bits & new Vector<uint>(0x007F_FFFF), Vector<uint>.Zero);
        var isNaN = exponentAllOnes & mantissaNonZero;
        var quietNaN = (bits >> 16) | new Vector<uint>(0x0040);
        return Vector.ConditionalSelect(isNaN, quietNaN, rounded);
    }
}
