namespace Orchestrator.Collective.Tests;

[Collection(RingCollection.Name)]
public sealed class SumTests(RingPool pool)
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    public async Task Sum_of_control_values_is_the_float64_sum_in_rank_order_on_every_rank(int worldSize)
    {
        await using var ring = await Ring.JoinAsync(pool.Servers, worldSize);
        // Magnitudes float32 would lose: 2^40 + rank token counts, and a cancellation that order makes visible.
        double[] Values(int rank) => [1099511627776.0 + rank, 0.1 * (rank + 1), rank == 0 ? 1e16 : rank == 1 ? -1e16 : 1.0];

        var results = await ring.OnEveryRankAsync(group => group.SumAsync(Values(group.Rank), CancellationToken.None));

        var expected = new double[3];
        for (var rank = 0; rank < worldSize; rank++)
        {
            var values = Values(rank);
            for (var i = 0; i < expected.Length; i++)
                expected[i] += values[i];
        }

        Assert.Equal(1099511627776.0 * worldSize + worldSize * (worldSize - 1) / 2, results[0][0]);
        Assert.All(results, result => Assert.Equal(expected.Select(BitConverter.DoubleToInt64Bits), result.Select(BitConverter.DoubleToInt64Bits)));
    }

    [Fact]
    public async Task Sum_of_many_values_spans_several_messages()
    {
        const int worldSize = 3, length = 5_000; // 40 kB per rank against 4 kB messages
        await using var ring = await Ring.JoinAsync(pool.Servers, worldSize);

        var results = await ring.OnEveryRankAsync(group =>
            group.SumAsync(Enumerable.Range(0, length).Select(i => (double)(i * (group.Rank + 1))).ToArray(), CancellationToken.None));

        Assert.All(results, result => Assert.Equal(Enumerable.Range(0, length).Select(i => i * 6.0), result));
    }
}
