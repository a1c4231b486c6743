using Orchestrator.Data;
using Orchestrator.Models;
using Orchestrator.Training.Batching;
using Orchestrator.Training.Distributed;
using TorchSharp;
using static TorchSharp.torch;

namespace Orchestrator.Training.Evaluation;

/// <summary>
/// Loss of a model over one split of a prepared dataset, on deterministic non-overlapping windows of
/// <c>block_size</c> predictions: window <c>w</c> feeds tokens <c>[wT, wT+T)</c> and scores <c>[wT+1, wT+T]</c>.
/// When capped, the windows used are spread evenly over the split rather than taken from its head. With several
/// workers each scores every <c>world_size</c>-th window and the sums are combined, so the result does not depend on
/// the number of workers. Owns its batch buffers: dispose it.
/// </summary>
public sealed class Evaluator : IDisposable
{
    private readonly LanguageModel _model;
    private readonly TokenBatchLoader _loader;
    private readonly SplitInfo? _splitInfo;
    private readonly long _tokenCount;
    private readonly int _blockSize;

    public Evaluator(LanguageModel model, PreparedDataset data, string split, int batchSize, Device device)
    {
        _model = model;
        _blockSize = model.Config.BlockSize;
        var shard = data.Split(split);
        _tokenCount = shard.Length;
        if (_tokenCount < _blockSize + 1)
            throw new InvalidRunConfigException($"split '{split}' of '{data.Directory}' holds {_tokenCount} tokens, fewer than block_size + 1 = {_blockSize + 1}: lower block_size or prepare more data");
        _splitInfo = data.Meta.Splits.TryGetValue(split, out var info) ? info : null;
        _loader = new TokenBatchLoader(shard, batchSize, _blockSize, device);
    }

    /// <summary>How many non-overlapping windows the split holds.</summary>
    public long WindowCount => (_tokenCount - 1) / _blockSize;

    /// <summary>
    /// Scores at most <paramref name="maxWindows"/> windows (all when null) and combines the result over
    /// <paramref name="peers"/> (this process alone when null). Every rank must call it with the same arguments.
    /// </summary>
    public async Task<EvaluationResult> EvaluateAsync(long? maxWindows = null, IGradientSynchronizer? peers = null, CancellationToken cancellationToken = default)
    {
        peers ??= SingleProcessSynchronizer.Instance;
        if (maxWindows is <= 0) throw new ArgumentOutOfRangeException(nameof(maxWindows), maxWindows, "evaluate at least one window");
        var windows = Math.Min(WindowCount, maxWindows ?? long.MaxValue);
        var (lossSum, tokens) = ScoreShare(windows, peers.Rank, peers.WorldSize, cancellationToken);
        var totals = peers.WorldSize == 1 ? [lossSum, tokens] : await peers.SumAsync([lossSum, tokens], cancellationToken);
        var loss = totals[0] / totals[1];
        var bitsPerByte = _splitInfo is null ? null : EvaluationResult.ToBitsPerByte(loss, _splitInfo.Tokens, _splitInfo.Bytes);
        return new EvaluationResult(loss, Math.Exp(loss), bitsPerByte, (long)totals[1]);
    }

    /// <summary>Start of the <paramref name="index"/>-th of <paramref name="used"/> windows spread evenly over <paramref name="total"/>.</summary>
    public static long WindowStart(long index, long used, long total, int blockSize) =>
        (long)((UInt128)index * (UInt128)total / (UInt128)used) * blockSize;

    private (double LossSum, double Tokens) ScoreShare(long windows, int rank, int worldSize, CancellationToken cancellationToken)
    {
        var wasTraining = _model.training;
        _model.eval();
        try
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var total = zeros(1, float64, _loader.Device);
            long tokens = 0;
            var rows = 0;
            for (var w = (long)rank; w < windows; w += worldSize)
            {
                _loader.Starts[rows++] = WindowStart(w, windows, WindowCount, _blockSize);
                if (rows < _loader.BatchSize && w + worldSize < windows) continue;
                cancellationToken.ThrowIfCancellationRequested();
                var (input, target) = _loader.Load();
                using var batchScope = NewDisposeScope();
                var logits = _model.call(input.narrow(0, 0, rows));
                // (B, T, V) -> (B·T, V) against (B·T): summed so batches of different sizes weigh by their tokens.
                var loss = nn.functional.cross_entropy(
                    logits.reshape(-1, logits.shape[^1]), target.narrow(0, 0, rows).reshape(-1), reduction: nn.Reduction.Sum);
                total.add_(loss.to(float64));
                tokens += (long)rows * _blockSize;
                rows = 0;
            }
            return (total.item<double>(), tokens);
        }
        finally
        {
            _model.train(wasTraining);
        }
    }

    public void Dispose() => _loader.Dispose();
}
