namespace Orchestrator.Collective.Tests;

[Collection(RingCollection.Name)]
public sealed class AllReduceTests(RingPool pool)
{
    // Primes, lengths shorter than the ring, and lengths spanning many 1024-float messages per chunk.
    private static readonly int[] AwkwardLengths = [0, 1, 2, 3, 4, 7, 97, 1009, 4099, 10007, 65537];

    public static TheoryData<int> WorldSizes => [1, 2, 3, 4, 5];

    [Theory]
    [MemberData(nameof(WorldSizes))]
    public async Task Sum_and_average_match_the_float64_reference_for_awkward_lengths(int worldSize)
    {
        await using var ring = await Ring.JoinAsync(pool.Servers, worldSize);
        var random = new Random(worldSize);
        var lengths = AwkwardLengths.Concat(Enumerable.Range(0, 3).Select(_ => random.Next(1, 50_000)));
        foreach (var length in lengths)
        {
            foreach (var op in new[] { ReduceOp.Sum, ReduceOp.Average })
            {
                var inputs = Reference.RandomInputs(worldSize, length, seed: length * 7 + worldSize);
                var results = await AllReduceOnEveryRank(ring, inputs, op);
                var context = $"{op}, world {worldSize}, length {length}";
                // n-1 float32 additions, plus one rounding of the division for an average.
                var bound = Reference.ErrorBound(inputs, op, worldSize, Reference.Float32Roundoff);
                foreach (var result in results)
                    Reference.AssertClose(Reference.Reduce(inputs, op), result, bound, context);
                Reference.AssertSameBits(results, context);
            }
        }
    }

    [Theory]
    [InlineData(3, ReduceOp.Max)]
    [InlineData(4, ReduceOp.Min)]
    public async Task Max_and_min_equal_the_reference_exactly(int worldSize, ReduceOp op)
    {
        await using var ring = await Ring.JoinAsync(pool.Servers, worldSize);
        var inputs = Reference.RandomInputs(worldSize, 10_007, seed: 11);
        var results = await AllReduceOnEveryRank(ring, inputs, op);
        var expected = Reference.Reduce(inputs, op);
        foreach (var result in results)
            Assert.Equal(expected, result.Select(x => (double)x).ToArray());
    }

    [Fact]
    public async Task Each_rank_sends_exactly_its_ring_share_of_the_buffer()
    {
        const int worldSize = 4, length = 10_007;
        await using var ring = await Ring.JoinAsync(pool.Servers, worldSize);
        await AllReduceOnEveryRank(ring, Reference.RandomInputs(worldSize, length, seed: 3), ReduceOp.Sum);

        // 2(N-1) steps, each moving one chunk per rank: 2(N-1) * length elements over the ring, nothing more.
        Assert.Equal(2L * (worldSize - 1) * length * sizeof(float), ring.Groups.Sum(g => g.Statistics.PayloadBytesSent));
        Assert.Equal(2L * (worldSize - 1) * length * sizeof(float), ring.Groups.Sum(g => g.Statistics.PayloadBytesReceived));
        Assert.All(ring.Groups, g => Assert.Equal(1, g.Statistics.Operations));
    }

    internal static Task<float[][]> AllReduceOnEveryRank(Ring ring, float[][] inputs, ReduceOp op) =>
        ring.OnEveryRankAsync(async group =>
        {
            var buffer = inputs[group.Rank].ToArray();
            await group.AllReduceAsync(buffer, op, CancellationToken.None);
            return buffer;
        });
}

public sealed class LargeMessageTests
{
    [Fact]
    public async Task Chunks_of_the_largest_allowed_size_pass_the_gRPC_message_limits()
    {
        await using var ring = await Ring.StartAsync(2, o =>
        {
            RingPool.Configure(o);
            o.ChunkBytes = CollectiveOptions.MaxChunkBytes;
        });
        var length = 2 * CollectiveOptions.MaxChunkBytes / sizeof(float); // one full-size message per ring step

        var results = await ring.OnEveryRankAsync(async group =>
        {
            var buffer = new float[length];
            Array.Fill(buffer, group.Rank + 1f);
            await group.AllReduceAsync(buffer, ReduceOp.Sum, CancellationToken.None);
            return buffer;
        });

        Assert.All(results, result => Assert.Equal(-1, Array.FindIndex(result, x => x != 3f)));
        Assert.All(ring.Groups, g => Assert.Equal(2, g.Statistics.ChunksSent));
    }
}
