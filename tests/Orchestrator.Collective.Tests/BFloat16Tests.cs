using Orchestrator.Collective.Numerics;

namespace Orchestrator.Collective.Tests;

public sealed class BFloat16Tests
{
    [Theory]
    [InlineData(1.0f, 1.0f)]
    [InlineData(1.00390625f, 1.0f)]       // 1 + 2^-8: halfway between 1 and 1 + 2^-7, ties to the even 1
    [InlineData(1.01171875f, 1.015625f)]  // 1 + 3·2^-8: halfway, ties to the even 1 + 2^-6
    [InlineData(1.004f, 1.0078125f)]        // above halfway rounds up
    [InlineData(-2.5f, -2.5f)]
    [InlineData(3.14159265f, 3.140625f)]
    [InlineData(float.MaxValue, float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity, float.NegativeInfinity)]
    public void Rounds_to_nearest_even_like_a_hand_computation(float value, float expected)
    {
        Assert.Equal(expected, BFloat16.ToSingle(BFloat16.FromSingle(value)));
    }

    [Fact]
    public void NaN_stays_NaN_in_scalar_and_vector_paths()
    {
        // A NaN whose payload sits only in the low bits would round to infinity if treated as a number.
        var nans = Enumerable.Repeat(BitConverter.UInt32BitsToSingle(0x7F80_0001), 40).Append(float.NaN).Append(-float.NaN).ToArray();
        var encoded = new ushort[nans.Length];
        var decoded = new float[nans.Length];
        BFloat16.Encode(nans, encoded);
        BFloat16.Decode(encoded, decoded);

        Assert.True(float.IsNaN(BFloat16.ToSingle(BFloat16.FromSingle(BitConverter.UInt32BitsToSingle(0x7F80_0001)))));
        Assert.All(decoded, x => Assert.True(float.IsNaN(x)));
    }

    [Fact]
    public void Vectorised_encoding_agrees_with_an_independent_nearest_value_search()
    {
        var random = new Random(17);
        // 1,003 values: not a multiple of any vector width, so the scalar tail is exercised too.
        var values = Enumerable.Range(0, 1_003).Select(i => i % 5 == 0
            ? BitConverter.UInt32BitsToSingle((uint)random.Next(0, 1 << 15) << 16 | 0x8000) // exact ties
            : (float)((random.NextDouble() - 0.5) * Math.Pow(2, random.Next(-30, 30)))).ToArray();
        var encoded = new ushort[values.Length];
        var decoded = new float[values.Length];

        var rounded = values.ToArray();
        BFloat16.Encode(values, encoded);
        BFloat16.Decode(encoded, decoded);
        BFloat16.RoundInPlace(rounded);

        for (var i = 0; i < values.Length; i++)
        {
            Assert.Equal(NearestBFloat16(values[i]), decoded[i]);
            Assert.Equal(NearestBFloat16(values[i]), rounded[i]);
        }
    }

    // Reference: the two bf16 neighbours by truncation, compared in float64, ties to the even bit pattern.
    private static float NearestBFloat16(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        var below = bits & 0xFFFF_0000u;
        var above = below + 0x1_0000u;
        double toBelow = Math.Abs((double)value - BitConverter.UInt32BitsToSingle(below));
        double toAbove = Math.Abs((double)value - BitConverter.UInt32BitsToSingle(above));
        var pick = toBelow < toAbove ? below : toAbove < toBelow ? above : ((below >> 16) & 1) == 0 ? below : above;
        return BitConverter.UInt32BitsToSingle(pick);
    }
}
