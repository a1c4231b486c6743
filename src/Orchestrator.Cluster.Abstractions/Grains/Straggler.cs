namespace Orchestrator.Cluster.Grains.Abstractions;

/// <summary>
/// The rank that holds a data-parallel job up, and by how much.
/// </summary>
/// <remarks>
/// In a synchronous ring every rank's step lasts as long as the slowest rank's: each waits for the others at the
/// all-reduce, so the step time alone cannot say who is slow. Where each rank's time goes can. The time a rank spends
/// waiting for the others (its all-reduce wait) is not its own: a rank that computes slowly is the one the others wait
/// for, so it has the smallest wait and the longest compute (step − wait). A slow link shows where the ring's data
/// queues: in front of it, in the sending rank's socket, which is the previous rank's send wait (its writes held up by
/// the link into this rank), while the rank behind a slow link receives its data no faster than it can pass it on, so
/// its own sends hardly wait. A rank's own time is its compute plus the send wait of the traffic into it; the slowest
/// rank is the one with the most. <see cref="Find"/> names it once every member has reported its timing.
/// </remarks>
public sealed record Straggler(int Rank, string WorkerId, string Host, double StepSeconds, double ComputeSeconds, double LinkSeconds,
    double OthersOwnSeconds)
{
    /// <summary>Seconds per step this rank spent on its own work and on the link into it, not waiting for the others.</summary>
    public double OwnSeconds => ComputeSeconds + LinkSeconds;

    public string Describe() =>
        $"slowest: rank {Rank} on host {Host} ({OwnSeconds:F2} s/step of its own: compute {ComputeSeconds:F2} s + link into it {LinkSeconds:F2} s; " +
        $"others at most {OthersOwnSeconds:F2} s; step {StepSeconds:F2} s)";

    /// <summary>Null unless at least two members have all reported a timing.</summary>
    public static Straggler? Find(IReadOnlyList<JobMember> members)
    {
        if (members.Count < 2 || members.Any(m => m.Timing is null)) return null;
        var ordered = members.OrderBy(m => m.Rank).ToArray();
        var own = OwnSecondsByRank(ordered.Select(m => m.Timing!).ToArray());
        var slowest = Array.IndexOf(own, own.Max());
        var member = ordered[slowest];
        var timing = member.Timing!;
        return new Straggler(member.Rank, member.WorkerId, member.Host, timing.StepSeconds, timing.ComputeSeconds,
            own[slowest] - timing.ComputeSeconds, own.Where((_, i) => i != slowest).Max());
    }

    /// <summary>Each rank's own seconds per step (see the remarks), from the timings indexed by rank in ring order.</summary>
    public static double[] OwnSecondsByRank(IReadOnlyList<StepTiming> byRank)
    {
        return byRank.Select((t, rank) => t.ComputeSeconds + LinkInto(byRank, rank)).ToArray();
    }

    /// <summary>Seconds per step the traffic into <paramref name="rank"/> waited on its way: its previous rank's send wait.</summary>
    public static double LinkInto(IReadOnlyList<StepTiming> byRank, int rank) => byRank[(rank + byRank.Count - 1) % byRank.Count].SendWaitSeconds;
}
