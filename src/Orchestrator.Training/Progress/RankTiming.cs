using System.Text.Json.Serialization;
using Orchestrator.Training.Distributed;

namespace Orchestrator.Training.Progress;

/// <summary>
/// One rank's mean seconds per step over a log interval: its whole step, the part it waited for the exchanges after
/// backward, and the part its own sends waited on its link (<see cref="StepPhases.SendWaitSeconds"/>). Rank 0 gathers
/// every rank's into <c>metrics.jsonl</c>, so the file alone shows which rank holds the others up.
/// </summary>
public sealed record RankTiming(
    [property: JsonPropertyName("rank")] int Rank,
    [property: JsonPropertyName("step_s")] double StepSeconds,
    [property: JsonPropertyName("allreduce_wait_s")] double AllReduceWaitSeconds,
    [property: JsonPropertyName("send_wait_s")] double SendWaitSeconds)
{
    /// <summary>
    /// Every rank's timing, indexed by rank: a collective call (each rank passes its own report), made at every log
    /// interval, which all ranks reach at the same step.
    /// </summary>
    public static async Task<IReadOnlyList<RankTiming>> GatherAsync(IGradientSynchronizer peers, TrainingProgress own, CancellationToken cancellationToken)
    {
        var all = await peers.GatherAsync(
            [(float)own.StepSeconds, (float)own.Phases.AllReduceWaitSeconds, (float)own.Phases.SendWaitSeconds], cancellationToken);
        return all.Select((values, rank) => new RankTiming(rank, values[0], values[1], values[2])).ToArray();
    }
}
