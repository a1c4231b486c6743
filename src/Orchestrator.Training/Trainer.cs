using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Orchestrator.Data;
using Orchestrator.Models;
using TorchSharp;
using Orchestrator.Training.Batching;
using Orchestrator.Training.Checkpoints;
using Orchestrator.Training.Compression;
using Orchestrator.Training.Distributed;
using Orchestrator.Training.Evaluation;
using Orchestrator.Training.Optimization;
using Orchestrator.Training.Pretrained;
using Orchestrator.Training.Progress;
using Orchestrator.Training.Rollback;
using Orchestrator.Training.Threading;
using static TorchSharp.torch;

namespace Orchestrator.Training;

/// <summary>
/// Trains one model on one prepared dataset as one rank of a data-parallel group (or alone with
/// <see cref="SingleProcessSynchronizer"/>): the step loop of <see cref="TrainingStep"/>, periodic evaluation,
/// progress reports and checkpoints (rank 0 writes). With <c>resume</c> it continues exactly from
/// <c>RUN_DIR/checkpoints/latest</c>: same weights, moments, step, data position and random streams. Everything
/// that touches libtorch — construction, the loop, disposal — runs on one dedicated <see cref="TrainingThread"/>
/// (TorchSharp scopes and OpenMP pools are per thread). libtorch's generator is process-wide, so construct trainers
/// one after the other. Owns the model: dispose the trainer when done.
/// </summary>
public sealed class Trainer : IDisposable
{
    private readonly RunConfig _config;
    private readonly TrainingOptions _options;
    private readonly PreparedDataset _data;
    private readonly string _runDirectory;
    private readonly IGradientSynchronizer _peers;
    private readonly ILogger _logger;
    private readonly IProgress<TrainingProgress>? _progress;
    private readonly IProgress<CheckpointWritten>? _checkpoints;
    private readonly bool _resume;
    private readonly Device _device;
    private readonly AdamW _optimizer;
    private readonly BatchPlan _plan;
    private readonly TokenBatchLoader _trainLoader;
    private readonly GradientExchange _exchange;
    private readonly Evaluator? _evaluator;
    private readonly LearningRateSchedule _schedule;
    private readonly CheckpointStore _store;
    private string? _resumedFrom;
    private readonly TrainingThread _thread;
    private Task<TrainingResult>? _run;
    private int _started, _disposed;

    /// <summary>
    /// Builds the model and optimizer for one rank. <paramref name="progress"/> gets the step and evaluation reports (every
    /// <c>log_interval</c> steps and after each evaluation); <paramref name="checkpoints"/> gets each complete checkpoint
    /// (rank 0 only), from the background writer once it is published.
    /// </summary>
    public Trainer(RunConfig config, PreparedDataset data, string runDirectory, IGradientSynchronizer synchronizer, ILogger logger,
        IProgress<TrainingProgress>? progress = null, bool resume = false, IProgress<CheckpointWritten>? checkpoints = null)
    {
        config.Validate();
        if (data.Meta.VocabSize > config.Model.VocabSize)
            throw new InvalidRunConfigException(
                $"model vocab_size {config.Model.VocabSize} is smaller than the vocabulary of '{data.Directory}' ({data.Meta.VocabSize} ids): set vocab_size to at least {data.Meta.VocabSize}");
        config = WithCheckedBase(config, data);
        var reporting = new Lock();
        (_config, _options, _data, _runDirectory, _peers, _logger, _progress, _checkpoints, _resume) =
            (config, config.Training, data, runDirectory, synchronizer, logger, SerializedProgress.Wrap(progress, reporting),
             SerializedProgress.Wrap(checkpoints, reporting), resume);
        _device = TorchDevices.Parse(_options.Device);
        _schedule = new LearningRateSchedule(_options);
        _store = CheckpointStore.ForRun(runDirectory);
        _thread = new TrainingThread($"trainer-rank{synchronizer.Rank}");
        try
        {
            (Model, _optimizer, _plan, _trainLoader, _evaluator, _exchange) = _thread.Invoke(Build);
        }
        catch
        {
            _thread.Dispose();
            throw;
        }
    }

    /// <summary>Everything that holds native memory, built on the training thread (see <see cref="TrainingThread"/>).</summary>
    private (LanguageModel, AdamW, BatchPlan, TokenBatchLoader, Evaluator?, GradientExchange) Build()
    {
        set_num_threads(_options.Threads > 0 ? _options.Threads : Environment.ProcessorCount);
        TrainingRandomness.SeedForInitialisation(_options.Seed);
        var model = InitialModel.Create(_config);
        AdamW? optimizer = null;
        TokenBatchLoader? loader = null;
        Evaluator? evaluator = null;
        try
        {
            model.to(_device);
            model.train();
            // Frozen weights (a LoRA run's base) get no moments and no updates, and their gradients are never computed or exchanged.
            optimizer = new AdamW(model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => (p.name, p.parameter)),
                _options.Beta1, _options.Beta2, _options.Eps, _options.WeightDecay);
            var train = _data.Split("train");
            var plan = new BatchPlan(train.Length, _config.Model.BlockSize, _options.Seed, _peers.WorldSize, _peers.Rank,
                _options.BatchSize, _options.EffectiveGlobalBatchSize(_peers.WorldSize));
            loader = new TokenBatchLoader(train, _options.BatchSize, _config.Model.BlockSize, _device);
            // A split too short for one window (a tiny corpus) is not evaluated rather than failing the run.
            evaluator = _data.Meta.Splits.TryGetValue("val", out var val) && val.Tokens > _config.Model.BlockSize
                ? new Evaluator(model, _data, "val", _options.BatchSize, _device)
                : null;
            var exchange = new GradientExchange(_options, model, _peers, plan.TokensPerStep / _peers.WorldSize, _logger);
            return (model, optimizer, plan, loader, evaluator, exchange);
        }
        catch
        {
            evaluator?.Dispose();
            loader?.Dispose();
            optimizer?.Dispose();
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// For a fine-tuning run, checks before anything is built or written that the base model opens, that the data was
    /// tokenized as the base expects, and that the base is the one the run started from; fills in its SHA-256 so every
    /// checkpoint records it.
    /// </summary>
    private static RunConfig WithCheckedBase(RunConfig config, PreparedDataset data)
    {
        if (config.InitFrom is not { } reference) return config;
        var pretrained = PretrainedModel.Open(reference.Path);
        pretrained.EnsureTokenizerMatches(data);
        pretrained.EnsureSame(reference, "this run");
        return config with { InitFrom = reference with { Path = pretrained.Directory, Format = pretrained.Format, Sha256 = pretrained.Sha256 } };
    }

    /// <summary>
    /// Restarts the distributed job had used when this trainer was started (recoveries from a checkpoint after a lost
    /// worker); carried in every progress report and metrics row so the run's record says what it took.
    /// </summary>
    public int JobRestarts { get; init; }

    /// <summary>The model being trained (on the configured device); valid until the trainer is disposed.</summary>
    public LanguageModel Model { get; }

    /// <summary>Trains up to <c>max_steps</c>. Cancellation stops at the next step boundary with <see cref="OperationCanceledException"/>.</summary>
    public Task<TrainingResult> RunAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
            throw new InvalidOperationException("a Trainer runs once: create a new one (with resume: true) to continue");
        return _run = _thread.RunAsync(() => TrainAsync(cancellationToken));
    }

    private async Task<TrainingResult> TrainAsync(CancellationToken cancellationToken)
    {
        var isWriter = _peers.Rank == 0;
        var state = _resume ? Resume() : new TrainerState { Seed = _options.Seed };
        if (isWriter) _store.ApplyRetention(_options.KeepLastCheckpoints, keep: _resumedFrom);
        using var metrics = isWriter ? new MetricsFile(_runDirectory) : null;
        await using var checkpoints = isWriter ? new BackgroundCheckpointWriter(_store, _options.KeepLastCheckpoints, _logger) : null;
        var step = new TrainingStep(Model, _optimizer, _trainLoader, _plan, _peers, _exchange, _options);
        var rollback = new NumericalRollback(Model, _optimizer, _config, _store, _peers, _logger);
        TrainingLog.Starting(_logger, _config.Model.Model, Model.ParameterCount(), _options.Device, _peers.Rank, _peers.WorldSize,
            _plan.GlobalBatchSize, _plan.BlockSize, get_num_threads());
        var trainable = _optimizer.Parameters.Sum(p => p.numel());
        if (_config.InitFrom is { } initFrom && isWriter)
            TrainingLog.FineTuning(_logger, initFrom.Path, initFrom.Format ?? "", trainable, Model.ParameterCount(),
                _config.Model.Lora is { } lora ? $" ({lora.Describe()})" : "");

        var clock = Stopwatch.StartNew();
        var window = new ThroughputWindow(state.Step);
        double trainSeconds = 0;
        long stepsRun = 0;
        EvaluationResult? lastEvaluation = null;
        string? lastCheckpoint = null;

        while (state.Step < _options.MaxSteps)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var stepStart = clock.Elapsed;
            var learningRate = _schedule.At(state.Step);
            _exchange.BeginStep(state.Step);
            var outcome = await step.RunAsync(state.DataPosition, learningRate, cancellationToken);
            var stepSeconds = (clock.Elapsed - stepStart).TotalSeconds;
            trainSeconds += stepSeconds;
            stepsRun++;
            state = state with
            {
                Step = state.Step + 1,
                DataPosition = state.DataPosition + 1,
                TokensSeen = state.TokensSeen + _plan.TokensPerStep,
                SkippedSteps = state.SkippedSteps + (outcome.Skipped ? 1 : 0),
                LastTrainLoss = outcome.Skipped ? state.LastTrainLoss : outcome.Loss,
            };
            window.Add(stepSeconds, _plan.TokensPerStep, outcome.Phases, outcome.WireBytes, outcome.DenseBytes);
            await _exchange.AfterStepAsync(outcome.Phases, cancellationToken);
            if (_peers.WorldSize > 1 && _options.ReplicaCheckInterval > 0 && state.Step % _options.ReplicaCheckInterval == 0)
                await ReplicaConsistency.VerifyAsync(Model, _peers, state.Step, cancellationToken);
            if (outcome.Skipped) TrainingLog.SkippedStep(_logger, state.Step, outcome.Loss, outcome.GradNorm, state.SkippedSteps);
            if (await rollback.AfterStepAsync(state, outcome.Skipped, checkpoints is null ? null : checkpoints.FlushAsync, cancellationToken) is { } restored)
            {
                state = restored;
                _exchange.ResetErrors();
                window.Restart(state.Step);
                continue;
            }

            var last = state.Step == _options.MaxSteps;
            if (state.Step % _options.LogInterval == 0 || last)
            {
                var report = window.Report(state, _options.MaxSteps, outcome, learningRate, clock.Elapsed) with { Rollbacks = rollback.Rollbacks, Restarts = JobRestarts, GradientCompression = _exchange.Label };
                if (_peers.WorldSize > 1) report = report with { Ranks = await RankTiming.GatherAsync(_peers, report, cancellationToken) };
                // Loss, rate and throughput are the job's, the same on every rank: rank 0 alone prints them.
                if (isWriter) TrainingLog.Step(_logger, report.Step, report.MaxSteps, report.Loss, report.LearningRate, report.GradNorm, report.TokensPerSecond, TimeSpan.FromSeconds(Math.Round(report.EtaSeconds)));
                metrics?.AppendTrain(report);
                _progress?.Report(report);
                window.Restart(state.Step);
            }

            var isBest = false;
            if (_evaluator is not null && ((_options.EvalInterval > 0 && state.Step % _options.EvalInterval == 0) || last))
            {
                lastEvaluation = await _evaluator.EvaluateAsync(_options.EvalBatches * _plan.GlobalBatchSize, _peers, cancellationToken);
                if (isWriter) TrainingLog.Evaluation(_logger, state.Step, lastEvaluation.Loss, lastEvaluation.Perplexity, lastEvaluation.BitsPerByte, lastEvaluation.Tokens);
                metrics?.AppendEval(state.Step, "val", lastEvaluation);
                _progress?.Report(window.Report(state, _options.MaxSteps, outcome, learningRate, clock.Elapsed) with { Evaluation = lastEvaluation, Rollbacks = rollback.Rollbacks, Restarts = JobRestarts, GradientCompression = _exchange.Label });
                isBest = state.BestValLoss is not { } best || lastEvaluation.Loss < best;
                if (isBest) state = state with { BestValLoss = lastEvaluation.Loss };
            }

            // Every rank knows when a checkpoint is due (the evaluation is the same everywhere): PowerSGD's per-rank errors are gathered by all.
            if ((_options.CheckpointInterval > 0 && state.Step % _options.CheckpointInterval == 0) || last || isBest)
            {
                var compressor = await _exchange.CaptureStateAsync(cancellationToken);
                if (isWriter)
                    lastCheckpoint = await WriteCheckpointAsync(checkpoints!, state with { ElapsedSeconds = state.ElapsedSeconds + clock.Elapsed.TotalSeconds }, isBest, lastEvaluation?.Loss, compressor, cancellationToken);
            }
        }
        if (checkpoints is not null) await checkpoints.FlushAsync(cancellationToken);

        return new TrainingResult
        {
            Steps = state.Step,
            TokensSeen = state.TokensSeen,
            SkippedSteps = state.SkippedSteps,
            Rollbacks = rollback.Rollbacks,
            FinalTrainLoss = state.LastTrainLoss,
            BestValLoss = state.BestValLoss,
            FinalEvaluation = lastEvaluation,
            TrainTokensPerSecond = trainSeconds > 0 ? stepsRun * _plan.TokensPerStep / trainSeconds : 0,
            ElapsedSeconds = clock.Elapsed.TotalSeconds,
            CheckpointDirectory = lastCheckpoint,
            Parameters = Model.ParameterCount(),
            TrainableParameters = trainable,
        };
    }

    private TrainerState Resume()
    {
        // A damaged latest (flipped byte, truncated file, missing manifest, dangling pointer) is skipped with a warning.
        var checkpoint = _store.LatestValid(_logger) ?? throw new CheckpointNotFoundException(
            $"cannot resume: '{_store.Directory}' has no checkpoint ('{CheckpointFiles.LatestPointer}' or step-NNNNNNNN directory); start the run without resume");
        _resumedFrom = checkpoint.Directory;
        if (checkpoint.Config.Model != _config.Model)
            throw new CheckpointMismatchException(
                $"cannot resume from '{checkpoint.Directory}': it holds model {checkpoint.Config.Model} but this run configures {_config.Model}; use the checkpoint's config.json");
        WarnIfChanged("seed", checkpoint.Config.Training.Seed, _options.Seed);
        WarnIfChanged("global batch (global_batch_size, or world_size x batch_size x grad_accum_steps when unset)", checkpoint.State.GlobalBatchSize, _plan.GlobalBatchSize);
        checkpoint.LoadModelWeights(Model);
        checkpoint.LoadOptimizerState(_optimizer);
        using (NewDisposeScope())
            _exchange.Restore(checkpoint.LoadCompressorState(), checkpoint.State.WorldSize);
        TrainingRandomness.RestoreState(checkpoint.State.TorchRngState);
        TrainingLog.Resumed(_logger, checkpoint.Directory, checkpoint.Step, checkpoint.State.TokensSeen);
        return checkpoint.State;
    }

    private void WarnIfChanged<T>(string option, T saved, T current)
    {
        if (!EqualityComparer<T>.Default.Equals(saved, current))
            TrainingLog.ChangedOption(_logger, option, saved?.ToString() ?? "", current?.ToString() ?? "");
    }

    /// <summary>Copies the step's state off the training path and leaves the files to <paramref name="writer"/>'s background task.</summary>
    private Task<string> WriteCheckpointAsync(BackgroundCheckpointWriter writer, TrainerState state, bool isBest, double? valLoss,
        IReadOnlyList<TensorBytes>? compressor, CancellationToken cancellationToken)
    {
        state = state with
        {
            Seed = _options.Seed,
            WorldSize = _peers.WorldSize,
            GlobalBatchSize = _plan.GlobalBatchSize,
        };
        return writer.WriteAsync(
            previous => CheckpointSnapshot.Capture(new CheckpointContent(Model, _optimizer, state with { TorchRngState = TrainingRandomness.CaptureState() }, _config, _data.Directory, compressor), reuse: previous),
            isBest, valLoss,
            written =>
            {
                TrainingLog.CheckpointWritten(_logger, written.Step, written.Directory, isBest ? " (best so far)" : "");
                _checkpoints?.Report(written);
            },
            cancellationToken);
    }

    /// <summary>Waits for a run still in progress to end, then frees the model and buffers on the training thread.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (_run is { IsCompleted: false } run) ((IAsyncResult)run).AsyncWaitHandle.WaitOne();
        _thread.Invoke(() =>
        {
            _evaluator?.Dispose();
            _exchange.Dispose();
            _trainLoader.Dispose();
            _optimizer.Dispose();
            Model.Dispose();
        });
        _thread.Dispose();
    }
}
