namespace Orchestrator.Collective.Tests;

[Collection(RingCollection.Name)]
public sealed class GatherTests(RingPool pool)
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task All_gather_returns_every_ranks_block_bit_for_bit_on_every_rank(int worldSize)
    {
        const int length = 40_000; // 160 kB per rank: several messages per block
        await using var ring = await Ring.JoinAsync(pool.Servers, worldSize);
        // Values a sum or a bf16 rounding would change: negative zero, a NaN payload, subnormals, odd mantissas.
        float[] Block(int rank) => Enumerable.Range(0, length).Select(i => i switch
        {
            0 => -0.0f,
            1 => BitConverter.UInt32BitsToSingle(0x7FC0_1234u + (uint)rank),
            2 => float.Epsilon * (rank + 1),
            _ => (float)Math.Sin(i * 0.001 + rank) / 3,
        }).ToArray();

        var results = await ring.OnEveryRankAsync(group => group.AllGatherAsync(Block(group.Rank), CancellationToken.None));

        foreach (var result in results)
        {
            Assert.Equal(worldSize, result.Length);
            for (var rank = 0; rank < worldSize; rank++)
                Assert.Equal(Block(rank).Select(BitConverter.SingleToUInt32Bits), result[rank].Select(BitConverter.SingleToUInt32Bits));
        }
    }

    [Fact]
    public async Task A_call_can_ask_for_bf16_on_a_float32_group()
    {
        const int worldSize = 2, length = 5_003;
        await using var ring = await Ring.JoinAsync(pool.Servers, worldSize);
        var inputs = Reference.RandomInputs(worldSize, length, seed: 5);

        var sentBefore = ring.Groups.Select(g => g.Statistics.PayloadBytesSent).ToArray();
        var exact = await ring.OnEveryRankAsync(async group =>
        {
            var buffer = inputs[group.Rank].ToArray();
            await group.AllReduceAsync([buffer.AsMemory()], ReduceOp.Average, bf16: false, CancellationToken.None);
            return buffer;
        });
        var sentFloat32 = ring.Groups.Select((g, r) => g.Statistics.PayloadBytesSent - sentBefore[r]).ToArray();
        var rounded = await ring.OnEveryRankAsync(async group =>
        {
            var buffer = inputs[group.Rank].ToArray();
            await group.AllReduceAsync([buffer.AsMemory()], ReduceOp.Average, bf16: true, CancellationToken.None);
            return buffer;
        });
        var sentBf16 = ring.Groups.Select((g, r) => g.Statistics.PayloadBytesSent - sentBefore[r] - sentFloat32[r]).ToArray();

        Assert.All(rounded[0], x => Assert.Equal(0u, BitConverter.SingleToUInt32Bits(x) & 0xFFFF));
        Assert.Contains(exact[0], x => (BitConverter.SingleToUInt32Bits(x) & 0xFFFF) != 0);
        Reference.AssertSameBits(rounded, "bf16 per call");
        for (var rank = 0; rank < worldSize; rank++)
            Assert.Equal(sentFloat32[rank], 2 * sentBf16[rank]);
    }
}
