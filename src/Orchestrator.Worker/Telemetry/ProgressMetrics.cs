using Orchestrator.Telemetry;
using Orchestrator.Training.Progress;

namespace Orchestrator.Worker.Telemetry;

/// <summary>
/// Turns the trainer's progress reports (cumulative, whole-job figures) into per-interval series of this rank:
/// tokens and samples are this rank's share of the global batch, step time is the trainer's own measurement
/// (tokens over tokens/s, so evaluations and checkpoints are excluded). A fresh run counts from step 0; a resumed
/// one from its first report, since this process did not train the steps before it.
/// </summary>
internal sealed class ProgressMetrics(TrainingMetrics metrics, TrainingIdentity who, int worldSize, int blockSize, double flopsPerToken, bool resumed)
{
    private TrainingProgress? _previous = resumed ? null : new TrainingProgress();

    public void Record(TrainingProgress progress)
    {
        var previous = _previous;
        _previous = progress;
        var steps = previous is null ? 0 : Math.Max(0, progress.Step - previous.Step);
        var tokens = previous is null ? 0 : Math.Max(0, progress.TokensSeen - previous.TokensSeen) / Math.Max(1, worldSize);
        var seconds = steps > 0 && progress.TokensPerSecond > 0 ? tokens * (double)worldSize / progress.TokensPerSecond : 0;
        metrics.RecordInterval(who, new TrainingInterval
        {
            Step = progress.Step,
            Steps = steps,
            Tokens = tokens,
            Samples = blockSize > 0 ? tokens / blockSize : 0,
            SkippedSteps = previous is null ? 0 : Math.Max(0, progress.SkippedSteps - previous.SkippedSteps),
            SecondsPerStep = steps > 0 ? seconds / steps : 0,
            Loss = progress.Loss,
            LearningRate = progress.LearningRate,
            GradNorm = progress.GradNorm,
            JobTokensPerSecond = progress.TokensPerSecond,
            ValidationLoss = progress.Evaluation?.Loss,
            FlopsPerToken = flopsPerToken,
            PhaseSecondsPerStep = steps > 0 ? Phases(progress.Phases) : new Dictionary<string, double>(),
        });
        if (steps > 0 && progress is { GradientCompression: { } compression, CompressionRatio: { } ratio })
            metrics.RecordCompression(who, compression, progress.WireBytesPerStep, ratio);
        var phases = progress.Phases;
        if (steps > 0 && phases.CommunicationSeconds > 0)
        {
            metrics.RecordHiddenFraction(who, 1 - phases.AllReduceWaitSeconds / phases.CommunicationSeconds);
            metrics.RecordSendWait(who, phases.SendWaitSeconds);
        }
    }

    private static Dictionary<string, double> Phases(StepPhases phases) => phases == default ? [] : new()
    {
        ["forward_backward"] = phases.ForwardBackwardSeconds,
        ["allreduce_wait"] = phases.AllReduceWaitSeconds,
        ["optimizer"] = phases.OptimizerSeconds,
    };
}
