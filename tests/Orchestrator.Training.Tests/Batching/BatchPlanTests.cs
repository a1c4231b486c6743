using Orchestrator.Training.Batching;

namespace Orchestrator.Training.Tests.Batching;

public sealed class BatchPlanTests
{
    private const long Tokens = 10_000;
    private const int Block = 32;

    /// <summary>The starts of one step's global batch, gathered rank by rank and micro-batch by micro-batch as the trainer feeds them.</summary>
    private static long[] GlobalBatch(long step, int worldSize, int batchSize, int accum)
    {
        var all = new List<long>();
        for (var rank = 0; rank < worldSize; rank++)
        {
            var plan = new BatchPlan(Tokens, Block, seed: 42, worldSize, rank, batchSize, accum);
            var starts = new long[batchSize];
            for (var micro = 0; micro < accum; micro++)
            {
                plan.MicroBatchStarts(step, micro, starts);
                all.AddRange(starts);
            }
        }
        return all.ToArray();
    }

    [Theory]
    [InlineData(2, 6, 1)]
    [InlineData(3, 4, 1)]
    [InlineData(2, 3, 2)]
    [InlineData(3, 2, 2)]
    [InlineData(1, 3, 4)]
    public void Global_batch_is_the_same_however_it_is_split_across_ranks(int worldSize, int batchSize, int accum)
    {
        for (long step = 0; step < 5; step++)
            Assert.Equal(GlobalBatch(step, worldSize: 1, batchSize: 12, accum: 1), GlobalBatch(step, worldSize, batchSize, accum));
    }

    [Fact]
    public void Window_starts_stay_inside_the_split_and_cover_it()
    {
        var plan = new BatchPlan(Tokens, Block, seed: 7, worldSize: 1, rank: 0, batchSize: 1, gradAccumSteps: 1);
        var starts = Enumerable.Range(0, 20_000).Select(i => plan.WindowStart(step: i / 64, sampleIndex: i % 64)).ToArray();
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
        Assert.NotEqual(GlobalBatch(0, 1, 12, 1), GlobalBatch(1, 1, 12, 1));
        var other = new BatchPlan(Tokens, Block, seed: 43, worldSize: 1, rank: 0, batchSize: 12, gradAccumSteps: 1);
        var starts = new long[12];
        other.MicroBatchStarts(0, 0, starts);
        Assert.NotEqual(GlobalBatch(0, 1, 12, 1), starts);
    }

    [Fact]
    public void A_split_shorter_than_a_window_is_rejected_with_the_sizes()
    {
        var error = Assert.Throws<InvalidRunConfigException>(() => new BatchPlan(20, 32, 1, 1, 0, 1, 1));
        Assert.Contains("20 tokens", error.Message);
        Assert.Contains("block_size 32", error.Message);
    }
}
