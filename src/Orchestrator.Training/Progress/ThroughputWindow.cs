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
    private StepPhases _phases;
    private StepPhases _lastPhases;
    private long _wireBytes, _denseBytes;
    private double _lastWireBytesPerStep;
    private double? _lastCompressionRatio;

    public void Add(double stepSeconds, long tokens, StepPhases phases = default, long wireBytes = 0, long denseBytes = 0)
    {
        _seconds += stepSeconds;
        _tokens += tokens;
        _phases = _phases.Plus(phases);
        _wireBytes += wireBytes;
        _denseBytes += denseBytes;
    }

    public TrainingProgress Report(Checkpoints.TrainerState state, long maxSteps, StepOutcome outcome, double learningRate, TimeSpan elapsed)
    {
        // Right after a restart (an evaluation report follows a step report) the last full window speaks for the run.
        if (_seconds > 0)
        {
            _lastSecondsPerStep = _seconds / Math.Max(1, state.Step - _startStep);
            _lastTokensPerSecond = _tokens / _seconds;
            _lastPhases = _phases.Over(state.Step - _startStep);
            _lastWireBytesPerStep = (double)_wireBytes / Math.Max(1, state.Step - _startStep);
            _lastCompressionRatio = _wireBytes > 0 ? (double)_denseBytes / _wireBytes : null;
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
            StepSeconds = _lastSecondsPerStep,
            SkippedSteps = state.SkippedSteps,
            Phases = _lastPhases,
            WireBytesPerStep = _lastWireBytesPerStep,
            CompressionRatio = _lastCompressionRatio,
        };
    }

    public void Restart(long step)
    {
        (_startStep, _seconds, _tokens, _phases, _wireBytes, _denseBytes) = (step, 0, 0, default, 0, 0);
    }
}
