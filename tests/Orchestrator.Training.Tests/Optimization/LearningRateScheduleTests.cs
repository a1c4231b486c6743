using Orchestrator.Training.Optimization;

namespace Orchestrator.Training.Tests.Optimization;

public sealed class LearningRateScheduleTests
{
    // lr 1e-3, min 1e-4, warm-up 10, decay ends at 110: the decay spans 100 steps, so step 10 + 100·r has ratio r.
    private static LearningRateSchedule Make(string kind) => new(1e-3, 1e-4, warmupSteps: 10, decaySteps: 110, kind);

    [Theory]
    [InlineData("cosine", 0, 1e-3 * 1 / 11)]
    [InlineData("cosine", 9, 1e-3 * 10 / 11)]
    [InlineData("cosine", 10, 1e-3)]
    [InlineData("cosine", 35, 1e-4 + 0.5 * (1 + 0.70710678118654752) * 9e-4)] // ratio 1/4: cos(π/4) = √2/2
    [InlineData("cosine", 60, 5.5e-4)]                                         // ratio 1/2: cos(π/2) = 0
    [InlineData("cosine", 110, 1e-4)]
    [InlineData("cosine", 5000, 1e-4)]
    [InlineData("linear", 5, 1e-3 * 6 / 11)]
    [InlineData("linear", 35, 1e-3 - 0.25 * 9e-4)]
    [InlineData("linear", 60, 5.5e-4)]
    [InlineData("linear", 200, 1e-4)]
    [InlineData("constant", 3, 1e-3 * 4 / 11)]
    [InlineData("constant", 500, 1e-3)]
    public void Rate_at_step_matches_hand_computation(string kind, long step, double expected) =>
        Assert.Equal(expected, Make(kind).At(step), 12);

    [Fact]
    public void Decay_steps_default_to_max_steps()
    {
        var options = new TrainingOptions { LearningRate = 1e-3, MinLr = 0, WarmupSteps = 0, MaxSteps = 100 };
        var schedule = new LearningRateSchedule(options);
        Assert.Equal(5e-4, schedule.At(50), 12);
        Assert.Equal(0.0, schedule.At(100), 12);
    }

    [Fact]
    public void Unknown_schedule_is_rejected_naming_the_option()
    {
        var error = Assert.Throws<InvalidRunConfigException>(() => new LearningRateSchedule(1e-3, 1e-4, 0, 10, "exponential"));
        Assert.Contains("lr_schedule", error.Message);
        Assert.Contains("exponential", error.Message);
    }
}
