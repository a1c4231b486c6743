using System.Globalization;

namespace Orchestrator.Collective.Tests;

/// <summary>
/// A ring link split across several connections (<see cref="CollectiveOptions.ChannelsPerLink"/>): the chunks must
/// come back together in order, so the results are those of one connection, bit for bit.
/// </summary>
[Collection(RingCollection.Name)]
public sealed class ChannelsTests(RingPool pool)
{
    [Fact]
    public async Task Links_split_across_channels_give_the_one_channel_results_bit_for_bit()
    {
        // Ranks may differ: each receiver opens as many channels as its left neighbour announces.
        int[] channels = [2, 1, 4];
        var inputs = Reference.RandomInputs(channels.Length, 50_021, seed: 5);
        await using var single = await Ring.JoinAsync(pool.Servers, channels.Length);
        await using var split = await Ring.StartAsync(channels.Select(c => Configure(c)).ToArray());

        foreach (var op in new[] { ReduceOp.Sum, ReduceOp.Average })
        {
            var expected = await AllReduceTests.AllReduceOnEveryRank(single, inputs, op);
            var actual = await AllReduceTests.AllReduceOnEveryRank(split, inputs, op);
            for (var rank = 0; rank < channels.Length; rank++)
                Assert.Equal(expected[rank], actual[rank]);
        }

        // Overlapping operations (buckets in flight together) and the gather share the same links.
        var buckets = await split.OnEveryRankAsync(async group =>
        {
            var buffers = Enumerable.Range(0, 5).Select(b => (Memory<float>)inputs[group.Rank].AsSpan(b * 10_000, 10_000).ToArray()).ToArray();
            await group.AllReduceAsync(buffers, ReduceOp.Sum, CancellationToken.None);
            var sums = await group.SumAsync([group.Rank + 0.25], CancellationToken.None);
            return (Buffers: buffers.Select(b => b.ToArray()).ToArray(), Sum: sums[0]);
        });
        var reference = Reference.Reduce(inputs, ReduceOp.Sum)[..50_000];
        var bound = Reference.ErrorBound(inputs, ReduceOp.Sum, channels.Length, Reference.Float32Roundoff)[..50_000];
        foreach (var (buffers, sum) in buckets)
        {
            Assert.Equal(0 + 1 + 2 + 3 * 0.25, sum);
            Reference.AssertClose(reference, buffers.SelectMany(b => b).ToArray(), bound, "bucketed over channels");
        }
    }

    [Fact]
    public async Task Each_channel_of_a_link_is_its_own_connection()
    {
        await using var ring = await Ring.StartAsync([Configure(3), Configure(2)]);
        await AllReduceTests.AllReduceOnEveryRank(ring, Reference.RandomInputs(2, 10_000, seed: 1), ReduceOp.Sum);

        // Rank 0 sends on 3 channels, so rank 1 keeps 3 connections to rank 0's server; rank 1 sends on 2.
        Assert.Equal(3, EstablishedConnectionsTo(ring.Servers[0].Endpoint.Port));
        Assert.Equal(2, EstablishedConnectionsTo(ring.Servers[1].Endpoint.Port));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(CollectiveOptions.MaxChannelsPerLink + 1)]
    public void A_channel_count_out_of_range_is_refused_naming_the_option(int channels)
    {
        var refusal = Assert.Throws<ArgumentOutOfRangeException>(new CollectiveOptions { ChannelsPerLink = channels }.Validate);

        Assert.Contains("Collective:ChannelsPerLink", refusal.Message);
    }

    private static Action<CollectiveOptions> Configure(int channels) => options =>
    {
        RingPool.Configure(options);
        options.ChannelsPerLink = channels;
    };

    // Server-side sockets in state ESTABLISHED (01) whose local port is the server's, from the kernel's own table.
    private static int EstablishedConnectionsTo(int port)
    {
        var hexPort = port.ToString("X4", CultureInfo.InvariantCulture);
        return new[] { "/proc/net/tcp", "/proc/net/tcp6" }.Where(File.Exists)
            .SelectMany(File.ReadLines)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Count(f => f.Length > 3 && f[1].EndsWith(":" + hexPort, StringComparison.Ordinal) && f[3] == "01");
    }
}
