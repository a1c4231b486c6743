using Microsoft.Extensions.Logging;
using Orchestrator.Cluster.Client;
using Orchestrator.Cluster.Grains.Abstractions;
using Orchestrator.Collective;
using Orchestrator.Telemetry;
using Orchestrator.Data;
using Orchestrator.Training;
using Orchestrator.Training.Checkpoints;
using Orchestrator.Training.Distributed;
using Orchestrator.Training.Pretrained;
using Orchestrator.Training.Progress;
using Orchestrator.Worker.Gradients;
using Orchestrator.Worker.Telemetry;

namespace Orchestrator.Worker;

/// <summary>
/// One worker's part in one attempt of one job: join the ring, train as its rank, report progress, checkpoints and
/// the outcome to the job grain. Runs in the background; <see cref="Abandon"/> stops it at the next step boundary
/// (a Stop directive, or a new assignment that supersedes this one). Checkpoint, completion and failure reports go
/// through the <see cref="CoordinatorLink"/>, retried until delivered, so a coordinator restart loses none of them.
/// </summary>
internal sealed class AssignmentRun(
    WorkerAssignment assignment, WorkerOptions options, CoordinatorLink link, CollectiveNode collective,
    TrainingMetrics? metrics, ILoggerFactory loggers)
{
    private readonly CancellationTokenSource _abandon = new();
    private readonly ILogger _logger = loggers.CreateLogger("Orchestrator.Worker");
    private long _step;
    private ProgressMetrics? _progressMetrics;
    private Action<CheckpointWritten>? _checkpointMetrics;
    private bool _inputsChecked;
    private string? _inputFault;

    public WorkerAssignment Assignment => assignment;
    public long Step => Interlocked.Read(ref _step);
    public Task Completion { get; private set; } = Task.CompletedTask;

    public bool Started { get; private set; }

    public bool Matches(WorkerAssignment other) => other.JobId == assignment.JobId && other.Attempt == assignment.Attempt;

    public void Start(CancellationToken stopping)
    {
        Started = true;
        var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, _abandon.Token);
        Completion = Task.Run(() => RunAsync(linked.Token), CancellationToken.None)
            .ContinueWith(_ => linked.Dispose(), TaskScheduler.Default);
    }

    public void Abandon() => _abandon.Cancel();

    /// <summary>
    /// Checks this worker's own inputs (the job's config and the dataset under its data path) before it confirms
    /// ready, so every member of a formation that cannot run the job says so while forming, not only the first to
    /// start. Null when they are fine, else the problem; checked once per assignment.
    /// </summary>
    public string? InputFault()
    {
        if (_inputsChecked)
            return _inputFault;
        _inputsChecked = true;
        try
        {
            ParseConfig(assignment.ConfigJson);
            using var data = PreparedDataset.Open(assignment.DataDir);
        }
        catch (Exception e) when (IsOwnInputFault(e))
        {
            WorkerLog.AssignmentFailed(_logger, e, assignment.JobId, assignment.Rank, e.Message);
            _inputFault = $"{options.WorkerId} (rank {assignment.Rank}): {e.Message}";
        }

        return _inputFault;
    }

    /// <summary>Faults in this worker's own inputs (dataset, checkpoint, vocabulary, config): the job goes on without it.</summary>
    private static bool IsOwnInputFault(Exception e) =>
        e is InvalidDatasetException or CheckpointMismatchException or InvalidRunConfigException or PretrainedModelException;

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var job = link.Connection.Job(assignment.JobId);
        try
        {
            var config = PinGlobalBatch(ParseConfig(assignment.ConfigJson));
            if (options.Threads > 0) config = config with { Training = config.Training with { Threads = options.Threads } };
            if (options.Device != "cpu") config = config with { Training = config.Training with { Device = options.Device } };
            using var data = PreparedDataset.Open(assignment.DataDir);
            config = config.WithVocabularyOf(data.Meta.VocabSize);
            var membership = new RingMembership($"{assignment.JobId}/{assignment.Attempt}", assignment.Rank,
                assignment.PeerEndpoints.Select(e => new Uri(e)).ToArray()); // the trainer picks the wire format per call (gradient_compression)
            await using var group = await collective.JoinAsync(membership, cancellationToken);
            var who = new TrainingIdentity(assignment.JobId, assignment.Rank, options.WorkerId);
            IGradientSynchronizer synchronizer = new CollectiveGradientSynchronizer(group);
            if (metrics is not null) synchronizer = new MeasuredGradientSynchronizer(synchronizer, metrics, who);
            using var trainer = new Trainer(config, data, assignment.RunDir, synchronizer, loggers.CreateLogger<Trainer>(),
                new SynchronousProgress<TrainingProgress>(p => Report(job, p)), assignment.Resume,
                new SynchronousProgress<CheckpointWritten>(written => RecordCheckpoint(job, written)))
            {
                JobRestarts = assignment.Restarts,
            };
            if (metrics is not null)
                _checkpointMetrics = written => metrics.RecordCheckpoint(who, TimeSpan.FromSeconds(written.Seconds), written.Bytes, DateTimeOffset.UtcNow);
            if (metrics is not null)
                _progressMetrics = new ProgressMetrics(metrics, who, assignment.WorldSize, config.Model.BlockSize, FlopsPerToken(config, trainer), assignment.Resume);
            var result = await trainer.RunAsync(cancellationToken);
            var final = new ProgressReport { Step = result.Steps, Loss = result.FinalTrainLoss ?? double.NaN, TokensPerSecond = result.TrainTokensPerSecond / assignment.WorldSize };
            if (assignment.Rank == 0)
            {
                if (result.CheckpointDirectory is { } directory)
                    await link.CallAsync("record the final checkpoint", () => job.ReportCheckpointAsync(options.WorkerId, CheckpointRecordFor(directory, result.Steps, result.FinalEvaluation?.Loss)), cancellationToken);
                await link.CallAsync("report completion", () => job.ReportCompletedAsync(options.WorkerId, final), cancellationToken);
            }
            else
            {
                await link.CallAsync("report the final progress", () => job.ReportProgressAsync(options.WorkerId, final), cancellationToken);
            }
            WorkerLog.AssignmentFinished(_logger, assignment.JobId, assignment.Rank, result.Steps);
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            // Abandoned (a Stop, or a new attempt after a loss or an admission): whatever broke on the way out, e.g. the
            // ring its peers left, is not this rank's failure, and reporting it would fail the formation that replaces it.
            WorkerLog.AssignmentAbandoned(_logger, assignment.JobId, assignment.Rank);
        }
        catch (CoordinatorUnavailableException e)
        {
            // Nobody to tell: the agent's heartbeat gives up on the same timeout and ends the process with this error.
            WorkerLog.AssignmentFailed(_logger, e, assignment.JobId, assignment.Rank, e.Message);
        }
        catch (Exception e)
        {
            WorkerLog.AssignmentFailed(_logger, e, assignment.JobId, assignment.Rank, e.Message);
            var atFault = IsOwnInputFault(e);
            await link.CallAsync("report the failure",
                () => job.ReportFailureAsync(options.WorkerId, assignment.Attempt, $"{options.WorkerId} (rank {assignment.Rank}): {e.Message}", atFault), cancellationToken);
        }
    }

    private void Report(ITrainingJobGrain job, TrainingProgress progress)
    {
        Interlocked.Exchange(ref _step, progress.Step);
        _progressMetrics?.Record(progress);
        // The trainer reports the job's (global-batch) rate; the coordinator adds up its members' own shares.
        var report = new ProgressReport
        {
            Step = progress.Step,
            Loss = progress.Loss,
            TokensPerSecond = progress.TokensPerSecond / assignment.WorldSize,
            // This rank's own figures, so the coordinator can name the rank that holds the others up.
            Timing = progress.StepSeconds > 0
                ? new StepTiming { StepSeconds = progress.StepSeconds, AllReduceWaitSeconds = progress.Phases.AllReduceWaitSeconds, SendWaitSeconds = progress.Phases.SendWaitSeconds }
                : null,
        };
        _ = job.ReportProgressAsync(options.WorkerId, report).ContinueWith(
            t => WorkerLog.ReportFailed(_logger, t.Exception!.GetBaseException().Message),
            CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    /// <summary>Every complete checkpoint goes into the job's catalog (the coordinator's record of what can be resumed) and the checkpoint metrics.</summary>
    private void RecordCheckpoint(ITrainingJobGrain job, CheckpointWritten written)
    {
        _checkpointMetrics?.Invoke(written);
        var record = CheckpointRecordFor(written.Directory, written.Step, written.ValLoss);
        _ = link.CallAsync($"record checkpoint step {record.Step}", () => job.ReportCheckpointAsync(options.WorkerId, record), _abandon.Token).ContinueWith(
            t => WorkerLog.ReportFailed(_logger, t.Exception!.GetBaseException().Message),
            CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    /// <summary>
    /// Keeps the global batch the job was written for when this formation has another number of workers (a loss or an
    /// admission): unset, it is the job's world size × batch_size × grad_accum_steps, and the trainer splits it over
    /// whatever world it gets, so the loss curve does not jump.
    /// </summary>
    private RunConfig PinGlobalBatch(RunConfig config)
    {
        if (config.Training.GlobalBatchSize is not null || assignment.JobWorldSize < 1) return config;
        var global = checked((int)config.Training.EffectiveGlobalBatchSize(assignment.JobWorldSize));
        if (assignment.JobWorldSize != assignment.WorldSize)
            WorkerLog.GlobalBatchPinned(_logger, assignment.JobId, global, assignment.JobWorldSize, assignment.WorldSize);
        return config with { Training = config.Training with { GlobalBatchSize = global } };
    }

    private static double FlopsPerToken(RunConfig config, Trainer trainer) => config.Model.Model == "gpt"
        ? ModelFlops.PerTokenTransformer(trainer.Model.ParameterCount(), config.Model.NLayer, config.Model.NEmbd, config.Model.BlockSize)
        : ModelFlops.PerTokenRecurrent(trainer.Model.ParameterCount());

    /// <summary>The catalog's record of a complete checkpoint: where it is, its step, and the manifest's hash that identifies it.</summary>
    private static CheckpointRecord CheckpointRecordFor(string directory, long step, double? valLoss) => new()
    {
        Step = step,
        Path = directory,
        Sha256 = CheckpointManifest.Sha256Of(Path.Combine(directory, CheckpointManifest.FileName)),
        ValLoss = valLoss,
    };

    private static RunConfig ParseConfig(string json)
    {
        try
        {
            return System.Text.Json.JsonSerializer.Deserialize<RunConfig>(json)
                   ?? throw new InvalidRunConfigException("the job's configuration is empty: submit a JSON object with \"model\" and \"training\"");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InvalidRunConfigException($"the job's configuration is not valid JSON ({e.Message}): fix the job spec's config");
        }
    }
}
