namespace Orchestrator.Collective.Tests;

public sealed class CompressionTests
{
    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public async Task Bf16_all_reduce_stays_within_bf16_error_and_halves_payload_bytes(int worldSize)
    {
        const int length = 30_011;
        var inputs = Reference.RandomInputs(worldSize, length, seed: 23);
        await using var plain = await Ring.StartAsync(worldSize, RingPool.Configure);
        await using var compressed = await Ring.StartAsync(worldSize, o =>
        {
            RingPool.Configure(o);
            o.CompressBf16 = true;
        });

        var exact = await AllReduceTests.AllReduceOnEveryRank(plain, inputs, ReduceOp.Average);
        var results = await AllReduceTests.AllReduceOnEveryRank(compressed, inputs, ReduceOp.Average);

        // Each of the N-1 reduce-scatter hops and the owner's final rounding errs by at most 2^-8 of Σ|x|.
        var bound = Reference.ErrorBound(inputs, ReduceOp.Average, worldSize + 1, Reference.BFloat16Roundoff);
        foreach (var result in results)
            Reference.AssertClose(Reference.Reduce(inputs, ReduceOp.Average), result, bound, $"bf16, world {worldSize}");
        Reference.AssertSameBits(results, "bf16");
        Assert.All(results[0], x => Assert.Equal(0u, BitConverter.SingleToUInt32Bits(x) & 0xFFFF));
        Assert.NotEqual(exact[0], results[0]);

        for (var rank = 0; rank < worldSize; rank++)
        {
            Assert.Equal(plain.Groups[rank].Statistics.PayloadBytesSent, 2 * compressed.Groups[rank].Statistics.PayloadBytesSent);
            Assert.Equal(plain.Groups[rank].Statistics.ChunksSent, compressed.Groups[rank].Statistics.ChunksSent);
        }
    }

    [Fact]
    public async Task A_group_can_ask_for_bf16_on_nodes_configured_for_float32()
    {
        const int worldSize = 3, length = 10_007;
        var inputs = Reference.RandomInputs(worldSize, length, seed: 5);
        await using var plain = await Ring.StartAsync(worldSize, RingPool.Configure);
        var exact = await AllReduceTests.AllReduceOnEveryRank(plain, inputs, ReduceOp.Average);
        await using var compressed = await Ring.JoinAsync(plain.Servers, worldSize, compressBf16: true);
        var results = await AllReduceTests.AllReduceOnEveryRank(compressed, inputs, ReduceOp.Average);

        Reference.AssertSameBits(results, "bf16 by membership");
        Assert.All(results[0], x => Assert.Equal(0u, BitConverter.SingleToUInt32Bits(x) & 0xFFFF));
        Assert.NotEqual(exact[0], results[0]);
        for (var rank = 0; rank < worldSize; rank++)
            Assert.Equal(plain.Groups[rank].Statistics.PayloadBytesSent, 2 * compressed.Groups[rank].Statistics.PayloadBytesSent);
    }
}
