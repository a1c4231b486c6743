namespace Orchestrator.Collective.Tests;

[Collection(RingCollection.Name)]
public sealed class GradientBucketsTests(RingPool pool)
{
    [Fact]
    public void Plan_packs_consecutive_buffers_up_to_the_bucket_size_and_isolates_large_ones()
    {
        var plan = new GradientBuckets([10, 20, 5, 100, 3, 0, 4], bucketBytes: 30 * sizeof(float));

        Assert.Equal(
            [new GradientBucket(0, 2, 30), new GradientBucket(2, 1, 5), new GradientBucket(3, 1, 100), new GradientBucket(4, 3, 7)],
            plan.Buckets);
    }

    [Fact]
    public async Task Averaging_many_buffers_across_buckets_matches_the_reference_per_buffer()
    {
        const int worldSize = 3;
        await using var ring = await Ring.JoinAsync(pool.Servers, worldSize);
        var random = new Random(5);
        // Zero-length, prime, tiny and bucket-sized-and-larger buffers, like a model's parameter list.
        var lengths = Enumerable.Range(0, 40).Select(i => i % 9 == 0 ? 0 : i % 7 == 0 ? 40_009 : random.Next(1, 3_000)).ToArray();
        var inputs = lengths.Select((length, b) => Reference.RandomInputs(worldSize, length, seed: 100 + b)).ToArray();
        Assert.True(new GradientBuckets(lengths, RingPool.BucketBytes).Buckets.Count >= 8);

        var results = await ring.OnEveryRankAsync(async group =>
        {
            var buffers = inputs.Select(perRank => perRank[group.Rank].ToArray()).ToArray();
            await group.AllReduceAsync(buffers.Select(b => b.AsMemory()).ToArray(), ReduceOp.Average, CancellationToken.None);
            return buffers;
        });

        for (var b = 0; b < lengths.Length; b++)
        {
            var expected = Reference.Reduce(inputs[b], ReduceOp.Average);
            var bound = Reference.ErrorBound(inputs[b], ReduceOp.Average, worldSize, Reference.Float32Roundoff);
            for (var rank = 0; rank < worldSize; rank++)
                Reference.AssertClose(expected, results[rank][b], bound, $"buffer {b} (length {lengths[b]}) on rank {rank}");
        }
    }
}
