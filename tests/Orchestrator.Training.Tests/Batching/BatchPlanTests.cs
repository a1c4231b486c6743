using Orchestrator.Training.Batching;

namespace Orchestrator.Training.Tests.Batching;

public sealed class BatchPlanTests
{
    private const long Tokens = 10_000;
    private const int Block = 32;

    /// <summary>The starts of one step's global batch, gathered rank by rank and micro-batch by micro-batch as the trainer feeds them.</summary>
    private static long[] GlobalBatch(long step, int worldSize, int batchSize, long globalBatch)
    {
        var all = new List<long>();
        for (var rank = 0; rank < worldSize; rank++)
        {
            var plan = new BatchPlan(Tokens, Block, seed: 42, worldSize, rank, batchSize, globalBatch);
            var starts = new long[batchSize];
            for (var micro = 0; micro < plan.GradAccumSteps; micro++)
            {
                var count = plan.MicroBatchStarts(step, micro, starts);
                all.AddRange(starts.AsSpan(0, count).ToArray());
            }
        }
        return all.ToArray();
    }

    [Theory]
    [InlineData(2, 6, 12)]
    [InlineData(3, 4, 12)]
    [InlineData(2, 3, 12)]
    [InlineData(3, 2, 12)]
    [InlineData(1, 3, 12)]
    [InlineData(5, 4, 12)]
    [InlineData(5, 1, 12)]
    [InlineData(7, 12, 12)]
    [InlineData(12, 5, 12)]
    public void Global_batch_is_the_same_however_it_is_split_across_ranks(int worldSize, int batchSize, long globalBatch)
    {
        for (long step = 0; step < 5; step++)
            Assert.Equal(GlobalBatch(step, worldSize: 1, batchSize: 12, globalBatch: 12), GlobalBatch(step, worldSize, batchSize, globalBatch));
    }

    [Theory]
    [InlineData(1, 4, 12)]
    [InlineData(2, 4, 12)]
    [InlineData(5, 2, 12)]
    [InlineData(3, 5, 13)]
    [InlineData(4, 3, 7)]
    public void Loss_weights_average_to_the_mean_over_the_global_batch(int worldSize, int batchSize, long globalBatch)
    {
        // Each micro-batch contributes (its mean loss) / divisor; the synchronizer divides the sum over ranks by the
        // world size. Each sequence's weight in the final gradient must then be exactly 1 / G.
        var weights = new List<double>();
        for (var rank = 0; rank < worldSize; rank++)
        {
            var plan = new BatchPlan(Tokens, Block, seed: 1, worldSize, rank, batchSize, globalBatch);
            for (var micro = 0; micro < plan.GradAccumSteps; micro++)
            {
                var size = plan.MicroBatchSize(micro);
                Assert.InRange(size, 1, batchSize);
                for (var i = 0; i < size; i++) weights.Add(1.0 / size / plan.LossDivisor(micro) / worldSize);
            }
        }
        Assert.Equal(globalBatch, weights.Count);
        Assert.All(weights, w => Assert.Equal(1.0 / globalBatch, w, 1e-15));
    }

    [Fact]
    public void Accumulation_steps_adapt_to_the_share_of_each_rank()
    {
        // 12 sequences over 5 ranks: shares 2, 2, 3, 2, 3 (⌊12r/5⌋ boundaries 0, 2, 4, 7, 9, 12); with batch 2 a share of 3 takes two micro-batches.
        var plans = Enumerable.Range(0, 5).Select(r => new BatchPlan(Tokens, Block, 1, 5, r, batchSize: 2, globalBatchSize: 12)).ToArray();
        Assert.Equal([0L, 2, 4, 7, 9], plans.Select(p => p.FirstSampleOf(0)));
        Assert.Equal([1, 1, 2, 1, 2], plans.Select(p => p.GradAccumSteps));
        Assert.Equal([1, 2], new[] { plans[2].MicroBatchSize(0), plans[2].MicroBatchSize(1) });
        Assert.Equal(1.0, plans[0].LossDivisor(0) * 2 * 5 / 12, 15);
        // The old split (world × batch × accumulation) is the special case: two equal micro-batches, divisor 2.
        var even = new BatchPlan(Tokens, Block, 1, 2, 1, batchSize: 3, globalBatchSize: 12);
        Assert.Equal((2, 6L, 2.0), (even.GradAccumSteps, even.FirstSampleOf(0), even.LossDivisor(1)));
    }

    [Fact]
    public void A_global_batch_smaller_than_the_world_is_rejected_with_the_fix()
    {
        var error = Assert.Throws<InvalidRunConfigException>(() => new BatchPlan(Tokens, Block, 1, worldSize: 4, rank: 0, batchSize: 2, globalBatchSize: 3));
        Assert.Contains("global_batch_size = 3", error.Message);
        Assert.Contains("4 workers", error.Message);
        Assert.Contains("at least 4", error.Message);
    }

    [Fact]
    public void Window_starts_stay_inside_the_split_and_cover_it()
    {
        var plan = new BatchPlan(Tokens, Block, seed: 7, worldSize: 1, rank: 0, batchSize: 1, globalBatchSize: 1);
        var starts = Enumerable.Range(0, 20_000).Select(i => plan.WindowStart(position: i / 64, sampleIndex: i % 64)).ToArray();
        Assert.All(starts, s => Assert.InRange(s, 0, Tokens - Block - 1));
        // 20k uniform draws over 9,968 starts: both ends of the range are reached and no tenth of it is starved.
        Assert.Contains(starts, s => s < 100);
        Assert.Contains(starts, s => s > Tokens - Block - 101);
        var perTenth = starts.GroupBy(s => s * 10 / (Tokens - Block)).Select(g => g.Count()).ToArray();
        Assert.Equal(10, perTenth.Length);
        Assert.All(perTenth, count => Assert.InRange(count, 1700, 2300));
    }

    [Fact]
    public void Different_steps_and_seeds_draw_different_batches()
    {
        Assert.NotEqual(GlobalBatch(0, 1, 12, 12), GlobalBatch(1, 1, 12, 12));
        var other = new BatchPlan(Tokens, Block, seed: 43, worldSize: 1, rank: 0, batchSize: 12, globalBatchSize: 12);
        var starts = new long[12];
        other.MicroBatchStarts(0, 0, starts);
        Assert.NotEqual(GlobalBatch(0, 1, 12, 12), starts);
    }

    [Fact]
    public void A_split_shorter_than_a_window_is_rejected_with_the_sizes()
    {
        var error = Assert.Throws<InvalidRunConfigException>(() => new BatchPlan(20, 32, 1, 1, 0, 1, 1));
        Assert.Contains("20 tokens", error.Message);
        Assert.Contains("block_size 32", error.Message);
    }
}
