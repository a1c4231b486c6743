using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Orchestrator.Models;
using Orchestrator.Training.Checkpoints;
using Orchestrator.Training.Distributed;
using Orchestrator.Training.Progress;
using TorchSharp;
using Parameter = TorchSharp.Modules.Parameter;
using static TorchSharp.torch;

namespace Orchestrator.Training.Compression;

/// <summary>
/// How this rank's gradients travel, step by step, as <c>gradient_compression</c> says: whole in float32 (<c>none</c>)
/// or bf16, as PowerSGD factors from <c>powersgd_start_step</c> on, or (<c>auto</c>) whichever of these the links of
/// this formation favour, measured during its first steps and chosen by <see cref="CompressionChooser"/>. Counts the
/// bytes each step puts on the wire. Every decision is the same on all ranks (measurements are averaged first).
/// </summary>
internal sealed class GradientExchange : IDisposable
{
    /// <summary>Steps of a formation that <c>auto</c> measures before choosing (the first is left out as warm-up).</summary>
    public const int AutoMeasuredSteps = 4;

    private readonly TrainingOptions _options;
    private readonly IGradientSynchronizer _peers;
    private readonly ILogger _logger;
    private readonly (string Name, Parameter Parameter)[] _named;
    private readonly int _segmentCount;
    private readonly long _denseElements;
    private readonly long _tokensPerRankStep;
    private PowerSgdCompressor? _compressor;
    private SavedState? _pending;
    private GradientWire _wire;
    private bool _compressing;
    private string _mode;
    private int _measuredSteps;
    private double _measuredComputeSeconds;

    public GradientExchange(TrainingOptions options, LanguageModel model, IGradientSynchronizer peers, long tokensPerRankStep, ILogger logger)
    {
        (_options, _peers, _logger, _tokensPerRankStep) = (options, peers, logger, tokensPerRankStep);
        // Only trainable parameters travel (a LoRA run's frozen base has no gradient).
        _named = model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => (p.name, p.parameter)).ToArray();
        _segmentCount = model.SegmentCount;
        _denseElements = _named.Sum(p => p.Parameter.numel());
        _mode = options.GradientCompression;
        switch (options.GradientCompression)
        {
            case "bf16":
                _wire = GradientWire.Bfloat16;
                break;
            case "powersgd":
                var selected = Select(options.PowerSgdRank);
                if (selected.Length == 0)
                    throw new InvalidRunConfigException(
                        $"training option powersgd_rank = {options.PowerSgdRank} is invalid: it is larger than every weight matrix of this model allows " +
                        $"(an m x n matrix is compressed when mn >= 2r(m+n); the largest here allows rank {LargestRank()}); lower --powersgd-rank");
                if (peers.WorldSize > 1) UsePowerSgd(options.PowerSgdRank);
                break;
            case "auto":
                _mode = "none";
                if (peers.WorldSize > 1 && peers.Rank == 0) CompressionLog.AutoMeasuring(logger, AutoMeasuredSteps);
                break;
        }
    }

    /// <summary>
    /// The mode of the last step, as a metrics label: none, bf16 or powersgd-rN (auto shows what it chose; PowerSGD
    /// shows none before its start step, when whole gradients travel).
    /// </summary>
    public string Label => _compressing ? $"powersgd-r{_compressor!.Rank}" : _mode == "powersgd" ? "none" : _mode;

    /// <summary>Bytes this rank sent in the ring during the last step (2(N−1)/N of each buffer).</summary>
    public long WireBytes { get; private set; }

    /// <summary>Bytes the same step would have sent as whole float32 gradients.</summary>
    public long DenseBytes { get; private set; }

    /// <summary>The compressor, when PowerSGD is in use on this formation.</summary>
    public PowerSgdCompressor? Compressor => _compressor;

    /// <summary>Call before each step: PowerSGD sends factors only from its start step on.</summary>
    public void BeginStep(long step)
    {
        _compressing = _compressor is not null && step >= _options.EffectivePowerSgdStartStep;
        WireBytes = DenseBytes = 0;
    }

    /// <summary>Starts the exchange of <paramref name="parameters"/>' gradients (one segment, or all).</summary>
    public Task ExchangeAsync(IReadOnlyList<Parameter> parameters, CancellationToken cancellationToken)
    {
        long wire = 0, dense = 0;
        foreach (var parameter in parameters)
        {
            dense += parameter.numel();
            wire += _compressing ? _compressor!.WireElements(parameter) : parameter.numel();
        }
        var ring = 2.0 * (_peers.WorldSize - 1) / _peers.WorldSize;
        WireBytes += (long)(ring * wire * (_wire == GradientWire.Bfloat16 ? 2 : 4));
        DenseBytes += (long)(ring * dense * 4);
        if (_compressing) return _compressor!.ExchangeAsync(parameters, _peers, cancellationToken);
        return _peers.AverageGradientsAsync(parameters.Select(p => p.grad ?? throw new InvalidOperationException(
            $"parameter of shape [{string.Join(", ", p.shape)}] received no gradient: every parameter must take part in the forward pass for gradient exchange")).ToArray(),
            _wire, cancellationToken);
    }

    /// <summary>
    /// After each step, on every rank: <c>auto</c> notes the step's compute time and, after
    /// <see cref="AutoMeasuredSteps"/>, probes the links and chooses (a collective: every rank calls it after every step).
    /// </summary>
    public async Task AfterStepAsync(StepPhases phases, CancellationToken cancellationToken)
    {
        if (_options.GradientCompression != "auto" || _peers.WorldSize == 1 || _measuredSteps >= AutoMeasuredSteps) return;
        if (++_measuredSteps > 1) _measuredComputeSeconds += phases.ForwardBackwardSeconds + phases.OptimizerSeconds;
        if (_measuredSteps < AutoMeasuredSteps) return;

        var (latency, perByte) = await ProbeLinkAsync(cancellationToken);
        var local = new double[] { _measuredComputeSeconds / (AutoMeasuredSteps - 1), latency, perByte };
        var mean = (await _peers.SumAsync(local, cancellationToken)).Select(v => v / _peers.WorldSize).ToArray();
        var powerSgdElements = CompressionChooser.Ranks.ToDictionary(r => r, r => WireElementsAt(r));
        var compressedShare = (double)_named.Where(p => PowerSgdCompressor.Compresses(p.Parameter.shape, 1)).Sum(p => p.Parameter.numel()) / _denseElements;
        var link = new LinkMeasurement(
            ComputeSeconds: mean[0],
            LatencySeconds: mean[1],
            SecondsPerByte: mean[2],
            HideableSeconds: _options.OverlapCommunication && _segmentCount > 1 ? mean[0] * 2 / 3 * (_segmentCount - 1) / _segmentCount : 0,
            DenseElements: _denseElements,
            CollectivesPerStep: _options.OverlapCommunication ? _segmentCount : 1,
            PowerSgdElements: powerSgdElements,
            // P = MQ, Q = MᵀP and PQᵀ: 6mnr flops against a step's ~6 × parameters × tokens.
            PowerSgdSecondsPerRank: mean[0] * compressedShare / Math.Max(1, _tokensPerRankStep));
        var choice = CompressionChooser.Choose(link);
        if (_peers.Rank == 0) CompressionLog.AutoChose(_logger, choice.Label, choice.Reason); // the same choice on every rank
        _mode = choice.Mode;
        _wire = choice.Mode == "bf16" ? GradientWire.Bfloat16 : GradientWire.Float32;
        if (choice.PowerSgdRank is { } rank) UsePowerSgd(rank);
    }

    /// <summary>
    /// This rank's compressor state for a checkpoint: every rank calls it when a checkpoint is due (the error buffers
    /// are gathered); rank 0 gets the tensors to write, the others null. Null everywhere when PowerSGD is not in use.
    /// </summary>
    public async Task<IReadOnlyList<TensorBytes>?> CaptureStateAsync(CancellationToken cancellationToken)
    {
        if (_compressor is null) return null;
        var errors = await _peers.GatherAsync(_compressor.ErrorsToArray(), cancellationToken);
        if (_peers.Rank != 0) return null;
        var tensors = new List<TensorBytes>();
        foreach (var (name, shape, values) in _compressor.QToArrays())
            tensors.Add(new TensorBytes($"{name}.q", ScalarType.Float32, shape, MemoryMarshal.AsBytes(values.AsSpan()).ToArray()));
        long offset = 0;
        foreach (var (name, rows, columns) in _compressor.Shapes)
        {
            var length = (long)rows * columns;
            for (var rank = 0; rank < errors.Length; rank++)
                tensors.Add(new TensorBytes(ErrorName(name, rank), ScalarType.Float32, [rows, columns],
                    MemoryMarshal.AsBytes(errors[rank].AsSpan((int)offset, (int)length)).ToArray()));
            offset += length;
        }
        return tensors;
    }

    /// <summary>
    /// Restores what <see cref="CaptureStateAsync"/> saved (<paramref name="saved"/> null when the checkpoint holds none).
    /// With another world size the errors start at zero (they belonged to other ranks) and Q's are kept.
    /// </summary>
    public void Restore(IReadOnlyDictionary<string, Tensor>? saved, int savedWorldSize)
    {
        if (saved is null)
        {
            if (_compressor is not null) CompressionLog.NoSavedState(_logger, _compressor.Rank, "the run did not use PowerSGD then");
            return;
        }
        _pending = SavedState.Copy(saved, savedWorldSize);
        if (_compressor is not null) ApplyPending();
    }

    /// <summary>After a rollback the errors belong to steps that no longer happened.</summary>
    public void ResetErrors() => _compressor?.ResetErrors();

    public void Dispose() => _compressor?.Dispose();

    private void UsePowerSgd(int rank)
    {
        _compressor?.Dispose();
        _compressor = new PowerSgdCompressor(Select(rank), rank, _options.Seed);
        var wire = WireElementsAt(rank);
        if (_peers.Rank == 0) CompressionLog.PowerSgdPlan(_logger, rank, _compressor.MatrixNames.Count, _options.EffectivePowerSgdStartStep, wire, _denseElements, (double)_denseElements / wire);
        if (_pending is not null) ApplyPending();
    }

    private void ApplyPending()
    {
        var compressor = _compressor!;
        var pending = _pending!;
        _pending = null;
        var sameWorld = pending.WorldSize == _peers.WorldSize;
        foreach (var (name, rows, columns) in compressor.Shapes)
        {
            if (!pending.Tensors.TryGetValue($"{name}.q", out var q) || q.Shape.Length != 2 || q.Shape[0] != columns || q.Shape[1] != compressor.Rank)
            {
                compressor.ResetErrors();
                CompressionLog.NoSavedState(_logger, compressor.Rank, $"no Q of shape [{columns}, {compressor.Rank}] for '{name}'");
                return;
            }
        }
        foreach (var (name, rows, columns) in compressor.Shapes)
        {
            using var scope = NewDisposeScope();
            var q = pending.Tensors[$"{name}.q"];
            var error = sameWorld && pending.Tensors.TryGetValue(ErrorName(name, _peers.Rank), out var e) ? tensor(e.Values, [rows, columns]) : null;
            compressor.Restore(name, tensor(q.Values, q.Shape), error);
        }
        if (!sameWorld) CompressionLog.ErrorsResetForWorldSize(_logger, pending.WorldSize, _peers.WorldSize);
    }

    private (string Name, Parameter Parameter)[] Select(int rank) =>
        _named.Where(p => PowerSgdCompressor.Compresses(p.Parameter.shape, rank)).ToArray();

    private long WireElementsAt(int rank) => _named.Sum(p => PowerSgdCompressor.Compresses(p.Parameter.shape, rank)
        ? (long)rank * (p.Parameter.shape[0] + p.Parameter.shape[1])
        : p.Parameter.numel());

    private int LargestRank() => _named.Where(p => p.Parameter.dim() == 2)
        .Select(p => (int)(p.Parameter.shape[0] * p.Parameter.shape[1] / (2 * (p.Parameter.shape[0] + p.Parameter.shape[1]))))
        .DefaultIfEmpty(0).Max();

    private static string ErrorName(string matrix, int rank) => $"{matrix}.error.rank{rank}";

    /// <summary>
    /// Times all-reduces of a small and a large buffer (twice each, the faster counts) on this formation: the small one
    /// is the per-call latency, the difference the time per byte.
    /// </summary>
    private async Task<(double Latency, double SecondsPerByte)> ProbeLinkAsync(CancellationToken cancellationToken)
    {
        const int small = 256;
        var large = (int)Math.Clamp(_denseElements, 64 * 1024, 4 * 1024 * 1024);
        using var smallBuffer = zeros(small, float32);
        using var largeBuffer = zeros(large, float32);
        async Task<double> Time(Tensor buffer)
        {
            var best = double.MaxValue;
            for (var i = 0; i < 2; i++)
            {
                var started = Stopwatch.GetTimestamp();
                await _peers.AverageGradientsAsync([buffer], GradientWire.Float32, cancellationToken);
                best = Math.Min(best, Stopwatch.GetElapsedTime(started).TotalSeconds);
            }
            return best;
        }
        var latency = await Time(smallBuffer);
        var full = await Time(largeBuffer);
        return (latency, Math.Max(0, full - latency) / ((large - small) * 4.0));
    }

    private sealed record SavedTensor(long[] Shape, float[] Values);

    /// <summary>A checkpoint's compressor tensors in managed memory, until a compressor of the right rank exists.</summary>
    private sealed record SavedState(Dictionary<string, SavedTensor> Tensors, int WorldSize)
    {
        public static SavedState Copy(IReadOnlyDictionary<string, Tensor> saved, int worldSize)
        {
            var tensors = new Dictionary<string, SavedTensor>();
            foreach (var (name, value) in saved)
            {
                using var scope = NewDisposeScope();
                tensors[name] = new SavedTensor(value.shape, value.to(float32).cpu().contiguous().data<float>().ToArray());
            }
            return new SavedState(tensors, worldSize);
        }
    }
}
