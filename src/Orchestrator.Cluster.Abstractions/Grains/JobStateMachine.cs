using System.Collections.Frozen;
using Orchestrator.Cluster.Grains.Abstractions;

namespace Orchestrator.Cluster.Grains;

/// <summary>
/// The job life cycle as one table. Every state change of a job goes through <see cref="Move"/>, so an illegal
/// move (e.g. Completed → Running) is refused in one place with an error naming both states.
/// </summary>
public static class JobStateMachine
{
    private static readonly FrozenDictionary<JobState, JobState[]> Transitions = new Dictionary<JobState, JobState[]>
    {
        [JobState.Pending] = [JobState.Forming, JobState.Cancelled],
        [JobState.Forming] = [JobState.Running, JobState.Recovering, JobState.Failed, JobState.Cancelled],
        // Running -> Forming: elastic growth re-forms at a checkpoint to admit new workers (not a failure).
        [JobState.Running] = [JobState.Completed, JobState.Recovering, JobState.Forming, JobState.Failed, JobState.Cancelled],
        // Recovering -> Failed: no replacements came within the replacement timeout.
        [JobState.Recovering] = [JobState.Forming, JobState.Failed, JobState.Cancelled],
        [JobState.Completed] = [],
        [JobState.Failed] = [],
        [JobState.Cancelled] = [],
    }.ToFrozenDictionary();

    /// <summary>The states a job in <paramref name="from"/> may move to.</summary>
    public static IReadOnlyList<JobState> NextStates(JobState from) =>
        Transitions.TryGetValue(from, out var next)
            ? next
            : throw new ArgumentOutOfRangeException(nameof(from), from, "not a job state");

    public static bool CanMove(JobState from, JobState to) => NextStates(from).Contains(to);

    /// <summary>Completed, Failed and Cancelled: nothing follows them.</summary>
    public static bool IsTerminal(JobState state) => NextStates(state).Count == 0;

    /// <summary>
    /// Returns the history entry for the move, or throws <see cref="IllegalJobTransitionException"/> naming the
    /// job, both states and the moves that are allowed.
    /// </summary>
    public static JobTransition Move(string jobId, JobState from, JobState to, string reason, DateTimeOffset atUtc)
    {
        if (!CanMove(from, to))
        {
            var allowed = NextStates(from);
            var options = allowed.Count == 0 ? "none, it is a final state" : string.Join(", ", allowed);
            throw new IllegalJobTransitionException(
                $"job '{jobId}' cannot move from {from} to {to} (requested because: {reason}); allowed from {from}: {options}");
        }

        return new JobTransition { From = from, To = to, AtUtc = atUtc, Reason = reason };
    }
}
