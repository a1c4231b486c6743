namespace Orchestrator.Training.Optimization;

/// <summary>
/// Linear warm-up then decay to a floor, as in nanoGPT: during warm-up step <c>s</c> (0-based) uses
/// <c>lr·(s+1)/(warmup+1)</c>; afterwards the decay ratio <c>(s−warmup)/(decay_steps−warmup)</c>, capped at 1, drives a
/// cosine or linear curve from <c>lr</c> to <c>min_lr</c>. A pure function of the step so resumed runs and every
/// worker agree without sharing state.
/// </summary>
public sealed class LearningRateSchedule
{
    private readonly double _maxLr;
    private readonly double _minLr;
    private readonly int _warmup;
    private readonly int _decaySteps;
    private readonly string _kind;

    public LearningRateSchedule(double maxLr, double minLr, int warmupSteps, int decaySteps, string kind)
    {
        if (!TrainingOptions.KnownSchedules.Contains(kind))
            throw new InvalidRunConfigException($"training option lr_schedule = {kind} is invalid: use one of {string.Join(", ", TrainingOptions.KnownSchedules)}");
        (_maxLr, _minLr, _warmup, _decaySteps, _kind) = (maxLr, minLr, warmupSteps, decaySteps, kind);
    }

    public LearningRateSchedule(TrainingOptions options)
        : this(options.LearningRate, options.MinLr, options.WarmupSteps, options.EffectiveLrDecaySteps, options.LrSchedule)
    {
    }

    /// <summary>The learning rate for the optimizer step with 0-based index <paramref name="step"/>.</summary>
    public double At(long step)
    {
        if (step < _warmup) return _maxLr * (step + 1) / (_warmup + 1);
        if (_kind == "constant") return _maxLr;
        var ratio = Math.Min(1.0, (double)(step - _warmup) / Math.Max(1, _decaySteps - _warmup));
        return _kind == "cosine"
            ? _minLr + 0.5 * (1.0 + Math.Cos(Math.PI * ratio)) * (_maxLr - _minLr)
            : _maxLr - ratio * (_maxLr - _minLr);
    }
}
