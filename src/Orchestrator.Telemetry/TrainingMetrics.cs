using System.Diagnostics.Metrics;

namespace Orchestrator.Telemetry;

/// <summary>
/// The training series of one worker process (meter <see cref="OrchestratorMeters.Training"/>), labelled with
/// <c>job_id</c>, <c>rank</c> and <c>worker</c>. Throughput is exported as counters (tokens, samples, steps) so
/// Prometheus' <c>rate()</c> gives tokens/s and samples/s over any window.
/// </summary>
public sealed class TrainingMetrics
{
    private static readonly double[] StepBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    private readonly double? _peakFlops;
    private readonly Counter<long> _tokens;
    private readonly Counter<long> _samples;
    private readonly Counter<long> _steps;
    private readonly Counter<long> _skippedSteps;
    private readonly Histogram<double> _stepDuration;
    private readonly Gauge<long> _step;
    private readonly Gauge<double> _loss;
    private readonly Gauge<double> _validationLoss;
    private readonly Gauge<double> _learningRate;
    private readonly Gauge<double> _gradNorm;
    private readonly Gauge<double> _jobTokensPerSecond;
    private readonly Gauge<double> _modelFlopsPerSecond;
    private readonly Gauge<double> _mfu;
    private readonly Gauge<double> _hiddenFraction;
    private readonly Gauge<double> _sendWait;
    private readonly Counter<long> _allReduceBytes;
    private readonly Histogram<double> _allReduceDuration;
    private readonly Gauge<double> _busBandwidth;
    private readonly Gauge<double> _gradientWireBytes;
    private readonly Gauge<double> _compressionRatio;
    private readonly Histogram<double> _checkpointDuration;
    private readonly Gauge<long> _checkpointSize;
    private readonly Gauge<double> _checkpointTimestamp;

    public TrainingMetrics(TelemetryOptions options, IMeterFactory? meterFactory = null)
    {
        options.Validate();
        _peakFlops = options.PeakFlops;
        var meter = meterFactory?.Create(OrchestratorMeters.Training) ?? new Meter(OrchestratorMeters.Training);
        var stepAdvice = new InstrumentAdvice<double> { HistogramBucketBoundaries = StepBuckets };
        _tokens = meter.CreateCounter<long>("orchestrator.training.tokens", "{token}", "Tokens this rank trained on.");
        _samples = meter.CreateCounter<long>("orchestrator.training.samples", "{sample}", "Sequences (block_size tokens each) this rank trained on.");
        _steps = meter.CreateCounter<long>("orchestrator.training.steps", "{step}", "Optimizer steps this rank took part in.");
        _skippedSteps = meter.CreateCounter<long>("orchestrator.training.skipped_steps", "{step}", "Steps skipped because a gradient was not finite.");
        _stepDuration = meter.CreateHistogram("orchestrator.training.step.duration", "s",
            "Wall time of one training step by phase (total, forward_backward, allreduce_wait, optimizer); one observation per step of the mean over its log interval.",
            advice: stepAdvice);
        _step = meter.CreateGauge<long>("orchestrator.training.step", null, "The last completed step.");
        _loss = meter.CreateGauge<double>("orchestrator.training.loss", null, "Training loss (mean over all ranks) of the last step.");
        _validationLoss = meter.CreateGauge<double>("orchestrator.validation.loss", null, "Loss on the validation split at the last evaluation.");
        _learningRate = meter.CreateGauge<double>("orchestrator.training.learning_rate", null, "Learning rate of the last step.");
        _gradNorm = meter.CreateGauge<double>("orchestrator.training.gradient_norm", null, "Global L2 norm of the averaged gradient before clipping.");
        _jobTokensPerSecond = meter.CreateGauge<double>("orchestrator.training.job_tokens_per_second", null, "Tokens per second of the whole job over the last log interval, as the trainer measured it.");
        _modelFlopsPerSecond = meter.CreateGauge<double>("orchestrator.training.model_flops_per_second", null, "Model FLOPs (PaLM accounting) this rank achieved per second over the last log interval.");
        _mfu = meter.CreateGauge<double>("orchestrator.training.mfu_ratio", "1", "Model FLOPs utilisation: achieved model FLOP/s over the configured peak of the device.");
        _hiddenFraction = meter.CreateGauge<double>("orchestrator.allreduce.hidden_ratio", "1", "Fraction of all-reduce time overlapped with the backward pass (1 - wait / communication).");
        _sendWait = meter.CreateGauge<double>("orchestrator.allreduce.send_wait", "s",
            "Seconds per step this rank's gradient sends waited on its link to the next rank, over the last log interval: long in front of a slow link, " +
            "while every rank's step and wait look alike (each waits for the slowest link of the ring).");
        _allReduceBytes = meter.CreateCounter<long>("orchestrator.allreduce.payload", "By", "Gradient bytes this rank all-reduced.");
        _allReduceDuration = meter.CreateHistogram("orchestrator.allreduce.duration", "s", "Wall time of one gradient all-reduce call, from start to averaged values in place.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
        _busBandwidth = meter.CreateGauge<double>("orchestrator.allreduce.bus_bandwidth", "By/s", "Bus bandwidth of the last all-reduce: bytes / time · 2(n-1)/n (NCCL's convention, comparable across world sizes).");
        _gradientWireBytes = meter.CreateGauge<double>("orchestrator.gradients.wire_bytes_per_step", "By",
            "Bytes this rank sent per step in gradient exchanges over the last log interval, labelled with the compression in force.");
        _compressionRatio = meter.CreateGauge<double>("orchestrator.gradients.compression_ratio", "1",
            "Whole float32 gradient bytes over the bytes sent (1 uncompressed, 2 bf16, tens to hundreds with PowerSGD).");
        _checkpointDuration = meter.CreateHistogram("orchestrator.checkpoint.duration", "s", "Time to write, fsync and publish one checkpoint.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300] });
        _checkpointSize = meter.CreateGauge<long>("orchestrator.checkpoint.size", "By", "Bytes of the last checkpoint (every file in its manifest).");
        _checkpointTimestamp = meter.CreateGauge<double>("orchestrator.checkpoint.last_timestamp", "s", "Unix time of the last finished checkpoint; its age is time() minus this.");
    }

    /// <summary>Records one log interval of one rank.</summary>
    public void RecordInterval(TrainingIdentity who, TrainingInterval interval)
    {
        var tags = who.Tags;
        _tokens.Add(interval.Tokens, tags);
        _samples.Add(interval.Samples, tags);
        _steps.Add(interval.Steps, tags);
        _skippedSteps.Add(interval.SkippedSteps, tags);
        if (interval.Steps > 0 && interval.SecondsPerStep > 0)
        {
            var total = who.WithPhase("total");
            for (var i = 0; i < interval.Steps; i++) _stepDuration.Record(interval.SecondsPerStep, total);
            foreach (var (phase, seconds) in interval.PhaseSecondsPerStep)
            {
                var phaseTags = who.WithPhase(phase);
                for (var i = 0; i < interval.Steps; i++) _stepDuration.Record(seconds, phaseTags);
            }
        }

        _step.Record(interval.Step, tags);
        if (double.IsFinite(interval.Loss)) _loss.Record(interval.Loss, tags);
        _learningRate.Record(interval.LearningRate, tags);
        if (double.IsFinite(interval.GradNorm)) _gradNorm.Record(interval.GradNorm, tags);
        _jobTokensPerSecond.Record(interval.JobTokensPerSecond, tags);
        if (interval.ValidationLoss is { } validation) _validationLoss.Record(validation, tags);

        if (interval.SecondsPerStep > 0 && interval.Steps > 0 && interval.FlopsPerToken > 0)
        {
            var rankTokensPerSecond = interval.Tokens / (interval.SecondsPerStep * interval.Steps);
            _modelFlopsPerSecond.Record(interval.FlopsPerToken * rankTokensPerSecond, tags);
            if (ModelFlops.Utilisation(interval.FlopsPerToken, rankTokensPerSecond, _peakFlops) is { } mfu) _mfu.Record(mfu, tags);
        }
    }

    /// <summary>Records one gradient all-reduce of <paramref name="bytes"/> across <paramref name="worldSize"/> ranks.</summary>
    public void RecordAllReduce(TrainingIdentity who, long bytes, TimeSpan elapsed, int worldSize)
    {
        _allReduceBytes.Add(bytes, who.Tags);
        _allReduceDuration.Record(elapsed.TotalSeconds, who.Tags);
        if (elapsed > TimeSpan.Zero && worldSize > 1)
            _busBandwidth.Record(bytes / elapsed.TotalSeconds * 2.0 * (worldSize - 1) / worldSize, who.Tags);
    }

    /// <summary>Records the gradient bytes sent per step and the compression ratio under <paramref name="compression"/> (none, bf16, powersgd-rN).</summary>
    public void RecordCompression(TrainingIdentity who, string compression, double wireBytesPerStep, double compressionRatio)
    {
        var tags = who.WithCompression(compression);
        _gradientWireBytes.Record(wireBytesPerStep, tags);
        _compressionRatio.Record(compressionRatio, tags);
    }

    /// <summary>Records the share of communication time the backward pass hid (0..1) over the last interval.</summary>
    public void RecordHiddenFraction(TrainingIdentity who, double fraction) =>
        _hiddenFraction.Record(Math.Clamp(fraction, 0, 1), who.Tags);

    /// <summary>Records the mean seconds per step this rank's sends waited on its link over the last interval.</summary>
    public void RecordSendWait(TrainingIdentity who, double secondsPerStep) => _sendWait.Record(Math.Max(0, secondsPerStep), who.Tags);

    /// <summary>Records a finished checkpoint.</summary>
    public void RecordCheckpoint(TrainingIdentity who, TimeSpan duration, long bytes, DateTimeOffset finishedUtc)
    {
        if (duration > TimeSpan.Zero) _checkpointDuration.Record(duration.TotalSeconds, who.Tags);
        _checkpointSize.Record(bytes, who.Tags);
        _checkpointTimestamp.Record(finishedUtc.ToUnixTimeMilliseconds() / 1000.0, who.Tags);
    }
}
