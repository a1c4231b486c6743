using Microsoft.Extensions.Logging;
using Orchestrator.Models;
using Orchestrator.Training.Checkpoints;
using Orchestrator.Training.Distributed;
using Orchestrator.Training.Optimization;
using Orchestrator.Training.Pretrained;
using Orchestrator.Training.Progress;
using TorchSharp;
using static TorchSharp.torch;

namespace Orchestrator.Training.Rollback;

/// <summary>
/// Recovery from numerical faults. A step with a non-finite loss or gradient norm is skipped on every rank (the
/// decision is summed across ranks, so it is the same everywhere); after <c>max_consecutive_skips</c> in a row the
/// weights themselves may be damaged, so every rank reloads model, optimizer moments and RNG state from the run's
/// latest checkpoint that verifies, rank 0 choosing which so all load the same one. The step count goes back to the checkpoint's
/// but the data position does not: the run continues past the batches that failed instead of replaying them. With no
/// checkpoint yet the run goes back to its initial weights (the seed's) and fresh moments, the state a checkpoint at
/// step 0 would hold (the pretrained weights for a fine-tuning run). More than <c>max_rollbacks</c> rollbacks throw <see cref="TrainingDivergedException"/>.
/// </summary>
internal sealed class NumericalRollback(
    LanguageModel model, AdamW optimizer, RunConfig config, CheckpointStore store, IGradientSynchronizer peers, ILogger logger)
{
    private readonly TrainingOptions _options = config.Training;
    private int _consecutiveSkips;
    private long _firstSkippedStep;

    /// <summary>Rollbacks made so far by this trainer.</summary>
    public long Rollbacks { get; private set; }

    /// <summary>
    /// Notes the outcome of the step that produced <paramref name="state"/> and, on the K-th consecutive skip, rolls back
    /// and returns the restored state; otherwise null. Every rank must call it after every step (it may exchange values).
    /// <paramref name="beforeChoosing"/> lets rank 0 finish a checkpoint still being written before it picks the latest.
    /// </summary>
    public async Task<TrainerState?> AfterStepAsync(TrainerState state, bool skipped, Func<CancellationToken, Task>? beforeChoosing,
        CancellationToken cancellationToken)
    {
        if (!skipped)
        {
            _consecutiveSkips = 0;
            return null;
        }
        if (_consecutiveSkips++ == 0) _firstSkippedStep = state.Step;
        if (_consecutiveSkips < _options.MaxConsecutiveSkips) return null;

        var skippedInARow = _consecutiveSkips;
        _consecutiveSkips = 0;
        if (++Rollbacks > _options.MaxRollbacks)
            throw new TrainingDivergedException(
                $"training diverged: steps {_firstSkippedStep} to {state.Step} all had a non-finite loss or gradient norm, and the run has already " +
                $"rolled back {_options.MaxRollbacks} time(s) (max_rollbacks = {_options.MaxRollbacks}) after {_options.MaxConsecutiveSkips} such steps in a row. " +
                $"Lower learning_rate (now {_options.LearningRate}) or grad_clip, lengthen warmup_steps, check the data for corrupt or out-of-range tokens, " +
                "then resume from the last checkpoint (or raise max_rollbacks to keep trying)");

        if (beforeChoosing is not null && peers.Rank == 0) await beforeChoosing(cancellationToken);
        var checkpointStep = await AgreeOnCheckpointAsync(cancellationToken);
        var restored = checkpointStep is { } step ? LoadCheckpoint(step) : await LoadInitialStateAsync(cancellationToken);
        var source = checkpointStep is { } s ? Path.Combine(store.Directory, CheckpointFiles.DirectoryName(s)) : "the initial weights (no checkpoint yet)";
        restored = restored with
        {
            DataPosition = state.DataPosition,
            SkippedSteps = state.SkippedSteps,
            BestValLoss = state.BestValLoss,
            ElapsedSeconds = state.ElapsedSeconds,
        };
        TrainingLog.RolledBack(logger, skippedInARow, _firstSkippedStep, state.Step, source, restored.Step, restored.DataPosition, Rollbacks, _options.MaxRollbacks);
        return restored;
    }

    /// <summary>
    /// Rank 0's latest checkpoint that verifies (a damaged one is skipped with a warning), sent to every rank as a sum
    /// in which only rank 0 contributes; null when there is none. When rank 0 finds only damaged checkpoints, every rank
    /// fails rather than some waiting for an exchange that never comes.
    /// </summary>
    private async Task<long?> AgreeOnCheckpointAsync(CancellationToken cancellationToken)
    {
        const long NoCheckpoint = -1, NoneVerifies = -2;
        long mine = NoCheckpoint;
        CorruptCheckpointException? damaged = null;
        if (peers.Rank == 0)
        {
            try
            {
                mine = store.LatestValid(logger)?.Step ?? NoCheckpoint;
            }
            catch (CorruptCheckpointException e)
            {
                (mine, damaged) = (NoneVerifies, e);
            }
        }
        var chosen = peers.WorldSize == 1 ? mine : (long)(await peers.SumAsync([peers.Rank == 0 ? mine + 2 : 0], cancellationToken))[0] - 2;
        if (damaged is not null) throw damaged;
        if (chosen == NoneVerifies)
            throw new CorruptCheckpointException($"rank {peers.Rank} cannot roll back: rank 0 found no checkpoint in '{store.Directory}' that verifies (see its log)");
        return chosen >= 0 ? chosen : null;
    }

    private TrainerState LoadCheckpoint(long step)
    {
        var directory = Path.Combine(store.Directory, CheckpointFiles.DirectoryName(step));
        if (!Directory.Exists(directory))
            throw new CheckpointNotFoundException(
                $"rank {peers.Rank} cannot roll back: rank 0 chose checkpoint '{directory}' but it is not there; every worker must see the run directory (a shared volume)");
        var checkpoint = Checkpoint.Load(directory);
        checkpoint.LoadModelWeights(model);
        checkpoint.LoadOptimizerState(optimizer);
        TrainingRandomness.RestoreState(checkpoint.State.TorchRngState);
        return checkpoint.State;
    }

    /// <summary>
    /// Rebuilds the seed's initial weights. That draws from libtorch's process-wide generator, so ranks take turns
    /// (a barrier per rank): ranks sharing a process, as in tests, would otherwise interleave their draws.
    /// </summary>
    private async Task<TrainerState> LoadInitialStateAsync(CancellationToken cancellationToken)
    {
        for (var turn = 0; turn < peers.WorldSize; turn++)
        {
            if (turn == peers.Rank) ReinitialiseWeights();
            if (peers.WorldSize > 1) await peers.SumAsync([0], cancellationToken);
        }
        return new TrainerState { Seed = _options.Seed };
    }

    private void ReinitialiseWeights()
    {
        using var scope = NewDisposeScope();
        TrainingRandomness.SeedForInitialisation(_options.Seed);
        using var initial = InitialModel.Create(config);
        var weights = initial.state_dict();
        using (no_grad())
        {
            foreach (var (name, target) in model.state_dict()) target.copy_(weights[name]);
        }
        var zeroMoments = optimizer.MomentsToCpu().ToDictionary(m => m.Key, m => zeros_like(m.Value));
        optimizer.Restore(zeroMoments, stepCount: 0, source: "the initial state");
    }
}
