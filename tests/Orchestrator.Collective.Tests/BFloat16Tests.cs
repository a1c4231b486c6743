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
    public void NaN_stays_NaN()
    {
        Assert.True(float.IsNaN(BFloat16.ToSingle(BFloat16.FromSingle(float.NaN))));
        Assert.True(float.IsNaN(BFloat16.ToSingle(BFloat16.FromSingle(BitConverter.UInt32BitsToSingle(0x7F80_0001)))));
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

        BFloat16.Encode(values, encoded);
        BFloat16.Decode(encoded, decoded);

        for (var i = 0; i < values.Length; i++)
            Assert.Equal(NearestBFloat16(values[i]), decoded[i]);
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
