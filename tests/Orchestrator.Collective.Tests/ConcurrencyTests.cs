namespace Orchestrator.Collective.Tests;

[Collection(RingCollection.Name)]
public sealed class ConcurrencyTests(RingPool pool)
{
    [Fact]
    public async Task Overlapping_operations_issued_in_the_same_order_each_get_their_own_result()
    {
        const int worldSize = 4;
        await using var ring = await Ring.JoinAsync(pool.Servers, worldSize);
        int[] lengths = [50_021, 3, 8_191, 0, 131_071, 17, 65_536, 1];
        var inputs = lengths.Select((length, i) => Reference.RandomInputs(worldSize, length, seed: 900 + i)).ToArray();
        var segments = Enumerable.Range(0, 3).Select(s => Reference.RandomInputs(worldSize, 20_000 + s, seed: 700 + s)).ToArray();

        var results = await ring.OnEveryRankAsync(async group =>
        {
            // Started back to back without awaiting, as the trainer does once per model segment.
            var buffers = inputs.Select(x => x[group.Rank].ToArray()).ToArray();
            var segmentBuffers = segments.Select(x => x[group.Rank].ToArray()).ToArray();
            var running = new List<Task>();
            Task<double[]>? sum = null;
            for (var i = 0; i < buffers.Length; i++)
            {
                running.Add(group.AllReduceAsync(buffers[i], i % 2 == 0 ? ReduceOp.Sum : ReduceOp.Average, CancellationToken.None));
                if (i == 3)
                    running.Add(group.AllReduceAsync(segmentBuffers.Select(b => b.AsMemory()).ToArray(), ReduceOp.Average, CancellationToken.None));
                if (i == 5)
                    running.Add(sum = group.SumAsync([group.Rank + 1.0, 1.0], CancellationToken.None));
            }

            await Task.WhenAll(running);
            return (buffers, segmentBuffers, sum: await sum!);
        });

        for (var i = 0; i < lengths.Length; i++)
        {
            var op = i % 2 == 0 ? ReduceOp.Sum : ReduceOp.Average;
            var bound = Reference.ErrorBound(inputs[i], op, worldSize, Reference.Float32Roundoff);
            foreach (var result in results)
                Reference.AssertClose(Reference.Reduce(inputs[i], op), result.buffers[i], bound, $"operation {i}");
        }

        for (var s = 0; s < segments.Length; s++)
        {
            var bound = Reference.ErrorBound(segments[s], ReduceOp.Average, worldSize, Reference.Float32Roundoff);
            foreach (var result in results)
                Reference.AssertClose(Reference.Reduce(segments[s], ReduceOp.Average), result.segmentBuffers[s], bound, $"segment {s}");
        }

        Assert.All(results, r => Assert.Equal(new double[] { 1.0 + 2 + 3 + 4, worldSize }, r.sum));
    }
}
