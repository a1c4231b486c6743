using Orchestrator.Cluster.Grains;
using Orchestrator.Cluster.Grains.Abstractions;

namespace Orchestrator.Cluster.Tests.Grains;

public sealed class JobStateMachineTests
{
    // The life cycle written out independently of the implementation's table.
    private static readonly HashSet<(JobState From, JobState To)> Legal =
    [
        (JobState.Pending, JobState.Forming), (JobState.Pending, JobState.Cancelled),
        (JobState.Forming, JobState.Running), (JobState.Forming, JobState.Recovering),
        (JobState.Forming, JobState.Failed), (JobState.Forming, JobState.Cancelled),
        (JobState.Running, JobState.Completed), (JobState.Running, JobState.Recovering),
        (JobState.Running, JobState.Failed), (JobState.Running, JobState.Cancelled),
        (JobState.Running, JobState.Forming), // elastic growth at a checkpoint
        (JobState.Recovering, JobState.Forming), (JobState.Recovering, JobState.Cancelled),
        (JobState.Recovering, JobState.Failed), // no replacements within the timeout
    ];

    public static TheoryData<JobState, JobState> AllPairs()
    {
        var data = new TheoryData<JobState, JobState>();
        foreach (var from in Enum.GetValues<JobState>())
        {
            foreach (var to in Enum.GetValues<JobState>())
            {
                data.Add(from, to);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AllPairs))]
    public void Every_move_is_allowed_exactly_when_the_life_cycle_lists_it(JobState from, JobState to)
    {
        var at = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);
        if (Legal.Contains((from, to)))
        {
            var transition = JobStateMachine.Move("job-1", from, to, "because", at);
            Assert.Equal(from, transition.From);
            Assert.Equal(to, transition.To);
            Assert.Equal(at, transition.AtUtc);
            Assert.Equal("because", transition.Reason);
            Assert.True(JobStateMachine.CanMove(from, to));
        }
        else
        {
            var error = Assert.Throws<IllegalJobTransitionException>(() => JobStateMachine.Move("job-1", from, to, "because", at));
            Assert.Contains("'job-1'", error.Message);
            Assert.Contains($"from {from} to {to}", error.Message);
            Assert.False(JobStateMachine.CanMove(from, to));
        }
    }

    [Theory]
    [InlineData(JobState.Completed, true)]
    [InlineData(JobState.Failed, true)]
    [InlineData(JobState.Cancelled, true)]
    [InlineData(JobState.Pending, false)]
    [InlineData(JobState.Forming, false)]
    [InlineData(JobState.Running, false)]
    [InlineData(JobState.Recovering, false)]
    public void Only_completed_failed_and_cancelled_are_final(JobState state, bool terminal)
    {
        Assert.Equal(terminal, JobStateMachine.IsTerminal(state));
        Assert.Equal(terminal, JobStateMachine.NextStates(state).Count == 0);
    }

    [Fact]
    public void Refusing_a_move_out_of_a_final_state_says_it_is_final()
    {
        var error = Assert.Throws<IllegalJobTransitionException>(
            () => JobStateMachine.Move("job-9", JobState.Completed, JobState.Cancelled, "operator asked", DateTimeOffset.UnixEpoch));
        Assert.Contains("none, it is a final state", error.Message);
        Assert.Contains("operator asked", error.Message);
    }
}
