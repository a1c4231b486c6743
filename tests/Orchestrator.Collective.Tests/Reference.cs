namespace Orchestrator.Collective.Tests;

/// <summary>Inputs and the independent float64 reference the all-reduce results are checked against.</summary>
internal static class Reference
{
    /// <summary>float32 unit roundoff.</summary>
    public const double Float32Roundoff = 1.0 / (1 << 24);

    /// <summary>bfloat16 unit roundoff (8 significant bits).</summary>
    public const double BFloat16Roundoff = 1.0 / (1 << 8);

    public static float[][] RandomInputs(int worldSize, int length, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, worldSize)
            .Select(_ => Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray())
            .ToArray();
    }

    public static double[] Reduce(float[][] inputs, ReduceOp op)
    {
        var length = inputs[0].Length;
        var result = new double[length];
        for (var i = 0; i < length; i++)
        {
            var values = inputs.Select(x => (double)x[i]).ToArray();
            result[i] = op switch
            {
                ReduceOp.Sum => values.Sum(),
                ReduceOp.Average => values.Sum() / inputs.Length,
                ReduceOp.Max => values.Max(),
                ReduceOp.Min => values.Min(),
                _ => throw new ArgumentOutOfRangeException(nameof(op)),
            };
        }

        return result;
    }

    /// <summary>
    /// A rigorous bound on the error of reducing the inputs with <paramref name="roundings"/> roundings of relative
    /// size <paramref name="roundoff"/> each: every rounding errs by at most roundoff × Σ|x|.
    /// </summary>
    public static double[] ErrorBound(float[][] inputs, ReduceOp op, int roundings, double roundoff)
    {
        var length = inputs[0].Length;
        var scale = op == ReduceOp.Average ? 1.0 / inputs.Length : 1.0;
        var bound = new double[length];
        for (var i = 0; i < length; i++)
            bound[i] = 1.01 * roundings * roundoff * inputs.Sum(x => Math.Abs((double)x[i])) * scale + 1e-30;
        return bound;
    }

    public static void AssertClose(double[] expected, float[] actual, double[] bound, string context)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            var error = Math.Abs(actual[i] - expected[i]);
            if (!(error <= bound[i]))
                Assert.Fail($"{context}: element {i} is {actual[i]:R}, reference {expected[i]:R}, error {error:E3} > bound {bound[i]:E3}");
        }
    }

    public static void AssertSameBits(float[][] results, string context)
    {
        for (var rank = 1; rank < results.Length; rank++)
        {
            for (var i = 0; i < results[0].Length; i++)
            {
                if (BitConverter.SingleToInt32Bits(results[rank][i]) != BitConverter.SingleToInt32Bits(results[0][i]))
                    Assert.Fail($"{context}: rank {rank} has {results[rank][i]:R} at element {i} but rank 0 has {results[0][i]:R}");
            }
        }
    }
}
