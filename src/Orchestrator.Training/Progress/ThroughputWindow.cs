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
    private double _lastSecondsPerStep;
    private double _lastTokensPerSecond;

    public void Add(double stepSeconds, long tokens)
    {
        _seconds += stepSeconds;
        _tokens += tokens;
    }

    public TrainingProgress Report(Checkpoints.TrainerState state, long maxSteps, StepOutcome outcome, double learningRate, TimeSpan elapsed)
    {
        // Right after a restart (an evaluation report follows a step report) the last full window speaks for the run.
        if (_seconds > 0)
        {
            _lastSecondsPerStep = _seconds / Math.Max(1, state.Step - _startStep);
            _lastTokensPerSecond = _tokens / _seconds;
        }
        return new TrainingProgress
        {
            Step = state.Step,
            MaxSteps = maxSteps,
            Loss = outcome.Loss,
            LearningRate = learningRate,
            GradNorm = outcome.GradNorm,
            TokensPerSecond = _lastTokensPerSecond,
            TokensSeen = state.TokensSeen,
            ElapsedSeconds = elapsed.TotalSeconds,
            EtaSeconds = _lastSecondsPerStep * (maxSteps - state.Step),
            SkippedSteps = state.SkippedSteps,
        };
    }

    public void Restart(long step)
    {
        (_startStep, _seconds, _tokens) = (step, 0, 0);
    }
}
