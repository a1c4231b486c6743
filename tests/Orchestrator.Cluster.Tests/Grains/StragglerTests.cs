using Orchestrator.Cluster.Grains.Abstractions;

namespace Orchestrator.Cluster.Tests.Grains;

/// <summary>The rule that names the rank holding a job up, on timings worked out by hand.</summary>
public sealed class StragglerTests
{
    private static JobMember Member(int rank, double step, double wait, double send) => new()
    {
        WorkerId = $"w{rank}",
        Rank = rank,
        GrpcEndpoint = $"http://10.0.0.{rank + 1}:7000",
        Timing = new StepTiming { StepSeconds = step, AllReduceWaitSeconds = wait, SendWaitSeconds = send },
    };

    [Fact]
    public void A_host_with_a_slow_link_is_named_though_every_rank_steps_and_waits_alike()
    {
        // Rank 1's link is slow (as measured on the cluster in a box): rank 0's sends into it queue for the whole
        // exchange, rank 1's own sends hardly wait (its data arrives no faster than it leaves), and every rank's step
        // takes about 2 s of which it waits most.
        JobMember[] members = [Member(0, 1.97, 1.47, 1.46), Member(1, 2.02, 1.87, 0.32), Member(2, 2.03, 1.81, 0.02)];

        // Own time = (step − wait) + the previous rank's send wait:
        // rank 0: 0.50 + 0.02 = 0.52; rank 1: 0.15 + 1.46 = 1.61; rank 2: 0.22 + 0.32 = 0.54.
        Assert.Equal([0.52, 1.61, 0.54], Straggler.OwnSecondsByRank(members.Select(m => m.Timing!).ToArray()).Select(s => Math.Round(s, 9)));
        var slowest = Straggler.Find(members)!;
        Assert.Equal(1, slowest.Rank);
        Assert.Equal("10.0.0.2", slowest.Host);
        Assert.Equal(1.46, slowest.LinkSeconds, 9);
        Assert.Equal(0.54, slowest.OthersOwnSeconds, 9);
        Assert.Equal("slowest: rank 1 on host 10.0.0.2 (1.61 s/step of its own: compute 0.15 s + link into it 1.46 s; others at most 0.54 s; step 2.02 s)",
            slowest.Describe());
    }

    [Fact]
    public void A_rank_that_computes_slowly_is_named_as_the_one_the_others_wait_for()
    {
        // Rank 2 computes for 1.1 s where the others need 0.3 s: they wait for it, it hardly waits at all.
        JobMember[] members = [Member(0, 1.2, 0.9, 0.01), Member(1, 1.2, 0.9, 0.01), Member(2, 1.2, 0.1, 0.02)];

        var slowest = Straggler.Find(members)!;

        // rank 0: 0.3 + 0.02 = 0.32; rank 1: 0.3 + 0.01; rank 2: 1.1 + 0.01 = 1.11.
        Assert.Equal(2, slowest.Rank);
        Assert.Equal(1.1, slowest.ComputeSeconds, 9);
        Assert.Equal(0.32, slowest.OthersOwnSeconds, 9);
    }

    [Fact]
    public void Nobody_is_named_until_every_member_has_reported_a_timing_or_with_one_worker()
    {
        Assert.Null(Straggler.Find([Member(0, 1, 0.5, 0.1), Member(1, 1, 0.5, 0.1) with { Timing = null }]));
        Assert.Null(Straggler.Find([Member(0, 1, 0.5, 0.1)]));
        Assert.Null(new JobStatus { Members = [Member(0, 1, 0.5, 0.1)] }.Slowest);
    }
}
