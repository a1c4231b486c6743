using System.Diagnostics;
using Orchestrator.Collective.Errors;

namespace Orchestrator.Collective.Tests;

public sealed class FailureTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(3);
    // Liveness only: how late a timeout may fire on a loaded machine before the test calls it hung.
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(60);

    private static void Configure(CollectiveOptions options)
    {
        RingPool.Configure(options);
        options.OperationTimeout = Deadline;
    }

    // A deadline no stopped peer needs: its neighbours must learn of it from the broken connection, not by waiting.
    private static void ConfigureLongDeadline(CollectiveOptions options)
    {
        RingPool.Configure(options);
        options.OperationTimeout = TimeSpan.FromMinutes(5);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)] // every channel of both its links breaks; the neighbours still report it once, by name
    public async Task A_stopped_peer_fails_its_neighbours_without_waiting_for_the_deadline_naming_it(int channelsPerLink)
    {
        await using var ring = await Ring.StartAsync(3, options =>
        {
            ConfigureLongDeadline(options);
            options.ChannelsPerLink = channelsPerLink;
        });
        var stopped = ring.Servers[1].Endpoint;
        var survivors = new[] { 0, 2 }.Select(rank => ring.Groups[rank].AllReduceAsync(new float[100_000], ReduceOp.Sum, CancellationToken.None)).ToArray();

        await Task.Delay(200);
        await ring.Servers[1].DisposeAsync();

        foreach (var survivor in survivors)
        {
            // Exactly PeerFailedException (a timeout would be CollectiveTimeoutException), and long before the 5 minutes.
            var failure = await Assert.ThrowsAsync<PeerFailedException>(() => survivor.WaitAsync(TimeSpan.FromMinutes(2)));
            Assert.Equal(1, failure.PeerRank);
            Assert.Equal(stopped, failure.PeerEndpoint);
            Assert.Contains($"rank 1 at {stopped}", failure.Message);
        }

        // The group is out of step for good: the next call fails at once with the same cause.
        await Assert.ThrowsAsync<PeerFailedException>(() => ring.Groups[0].SumAsync([1.0], CancellationToken.None));
    }

    [Fact]
    public async Task A_stuck_peer_makes_its_right_neighbour_time_out_naming_it()
    {
        await using var ring = await Ring.StartAsync(3, Configure);
        var clock = Stopwatch.StartNew();
        // Rank 2 never makes the call.
        var rank0 = ring.Groups[0].AllReduceAsync(new float[1000], ReduceOp.Average, CancellationToken.None);
        var rank1 = ring.Groups[1].AllReduceAsync(new float[1000], ReduceOp.Average, CancellationToken.None);

        var timeout = await Assert.ThrowsAsync<CollectiveTimeoutException>(() => rank0);
        var elapsed = clock.Elapsed;
        await Assert.ThrowsAsync<CollectiveTimeoutException>(() => rank1);

        Assert.Equal(2, timeout.PeerRank);
        Assert.Equal(ring.Servers[2].Endpoint, timeout.PeerEndpoint);
        Assert.Contains($"waiting for data from rank 2 at {ring.Servers[2].Endpoint}", timeout.Message);
        Assert.InRange(elapsed, Deadline - TimeSpan.FromMilliseconds(100), Deadline + Slack);
    }

    [Fact]
    public async Task Cancelling_an_operation_stops_it_and_retires_the_group()
    {
        await using var ring = await Ring.StartAsync(2, Configure);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            ring.Groups[0].AllReduceAsync(new float[10], ReduceOp.Sum, cancel.Token));

        var retired = await Assert.ThrowsAsync<CollectiveAbortedException>(() =>
            ring.Groups[0].AllReduceAsync(new float[10], ReduceOp.Sum, CancellationToken.None));
        Assert.Contains("cancelled on rank 0", retired.Message);
    }

    [Fact]
    public async Task Ranks_that_disagree_on_buffer_length_fail_with_a_mismatch_instead_of_mixing_data()
    {
        await using var ring = await Ring.StartAsync(2, Configure);

        var failures = await Task.WhenAll(ring.Groups.Select(group => Assert.ThrowsAsync<CollectiveMismatchException>(() =>
            group.AllReduceAsync(new float[100 + group.Rank], ReduceOp.Sum, CancellationToken.None))));

        Assert.Contains("rank 1 sent data of an all-reduce over 101 elements but this rank (0) is running an all-reduce over 100 elements", failures[0].Message);
    }
}
