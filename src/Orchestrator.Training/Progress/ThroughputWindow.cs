namespace Orchestrator.Training.Progress;

/// <summary>
/// Step time and tokens since the last report, for tokens/s and the ETA. Counts only time spent in training steps,
/// so an evaluation or checkpoint does not make the next report look slow.
/// </summary>
internal sealed class ThroughputWindow(long startStep)
{
    private long _startStep = startStep;
    private double _seconds;
    private long _tokens;

    public void Add(double stepSeconds, long tokens)
    {
        _seconds += stepSeconds;
        _tokens += tokens;
    }

    public TrainingProgress Report(Checkpoints.TrainerState state, long maxSteps, StepOutcome outcome, double learningRate, TimeSpan elapsed)
    {
        var steps = Math.Max(1, state.Step - _startStep);
        var secondsPerStep = _seconds / steps;
        return new TrainingProgress
        {
            Step = state.Step,
            MaxSteps = maxSteps,
            Loss = outcome.Loss,
            LearningRate = learningRate,
            GradNorm = outcome.GradNorm,
            TokensPerSecond = _seconds > 0 ? _tokens / _seconds : 0,
            TokensSeen = state.TokensSeen,
            ElapsedSeconds = elapsed.TotalSeconds,
            EtaSeconds = secondsPerStep * (maxSteps - state.Step),
            SkippedSteps = state.SkippedSteps,
        };
    }

    public void Restart(long step)
    {
        (_startStep, _seconds, _tokens) = (step, 0, 0);
    }
}
