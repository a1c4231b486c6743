using System.Diagnostics;
using Orchestrator.Models;
using Orchestrator.Training.Batching;
using Orchestrator.Training.Distributed;
using Orchestrator.Training.Optimization;
using TorchSharp;
using Parameter = TorchSharp.Modules.Parameter;
using static TorchSharp.torch;

namespace Orchestrator.Training;

/// <summary>The result of one optimizer step as every rank sees it.</summary>
/// <param name="Loss">Mean training loss over the global batch (all ranks).</param>
/// <param name="GradNorm">Global gradient norm after averaging, before clipping.</param>
/// <param name="Skipped">True when some rank saw a non-finite loss or norm and no rank updated its weights.</param>
/// <param name="Phases">This rank's time in each part of the step.</param>
/// <param name="WireBytes">Bytes this rank sent in gradient exchanges during the step.</param>
/// <param name="DenseBytes">Bytes whole float32 gradients would have taken.</param>
public readonly record struct StepOutcome(double Loss, double GradNorm, bool Skipped, Progress.StepPhases Phases = default, long WireBytes = 0, long DenseBytes = 0);

/// <summary>
/// One optimizer step of data-parallel training: this rank's micro-batches (<see cref="BatchPlan"/>) of forward,
/// weighted cross-entropy and backward; gradient averaging across ranks; clipping by global norm; AdamW. With several ranks and
/// <c>overlap_communication</c>, the last micro-batch runs backward one model segment at a time and starts averaging a
/// segment's gradients as soon as they are final, so the exchange of the top of the network overlaps the backward of
/// the bottom. Exactly one device-to-host read per step (loss and norm together).
/// </summary>
internal sealed class TrainingStep
{
    private readonly LanguageModel _model;
    private readonly AdamW _optimizer;
    private readonly TokenBatchLoader _loader;
    private readonly BatchPlan _plan;
    private readonly IGradientSynchronizer _peers;
    private readonly Compression.GradientExchange _exchange;
    private readonly TrainingOptions _options;
    private readonly IReadOnlyList<Parameter> _parameters;
    private readonly IReadOnlyList<Parameter>[] _segmentParameters;

    public TrainingStep(LanguageModel model, AdamW optimizer, TokenBatchLoader loader, BatchPlan plan, IGradientSynchronizer peers,
        Compression.GradientExchange exchange, TrainingOptions options)
    {
        (_model, _optimizer, _loader, _plan, _peers, _exchange, _options) = (model, optimizer, loader, plan, peers, exchange, options);
        _parameters = optimizer.Parameters;
        // Only trainable parameters have gradients to exchange: a LoRA run's frozen base never reaches the ring.
        _segmentParameters = Enumerable.Range(0, model.SegmentCount)
            .Select(i => (IReadOnlyList<Parameter>)model.SegmentParameters(i).Where(p => p.requires_grad).ToArray()).ToArray();
    }

    private long _firstExchange;
    private long _exchangedBytes;

    private bool Overlapped => _peers.WorldSize > 1 && _options.OverlapCommunication;

    /// <summary>
    /// Runs one step on the global batch at <paramref name="dataPosition"/> (see <see cref="BatchPlan"/>); dropout is
    /// seeded from the same position, so a step's randomness follows its data, also after a rollback.
    /// </summary>
    public async Task<StepOutcome> RunAsync(long dataPosition, double learningRate, CancellationToken cancellationToken)
    {
        using var scope = NewDisposeScope();
        TrainingRandomness.SeedForStep(_options.Seed, dataPosition, _peers.Rank);
        var started = Stopwatch.GetTimestamp();
        var sendingBefore = _peers.SendingTime;
        _firstExchange = 0;
        _exchangedBytes = 0;

        var exchanges = new List<Task>(_segmentParameters.Length);
        Tensor? lossSum = null;
        for (var micro = 0; micro < _plan.GradAccumSteps; micro++)
        {
            var count = _plan.MicroBatchStarts(dataPosition, micro, _loader.Starts);
            var (input, target) = _loader.Load(count);
            var divisor = _plan.LossDivisor(micro);
            var isLast = micro == _plan.GradAccumSteps - 1;
            var loss = isLast && Overlapped
                ? BackwardBySegments(input, target, divisor, exchanges, cancellationToken)
                : Backward(input, target, divisor);
            lossSum = lossSum is null ? loss : lossSum + loss;
        }
        if (_peers.WorldSize > 1 && !Overlapped)
            exchanges.Add(StartExchange(_parameters, cancellationToken));
        var backwardDone = Stopwatch.GetTimestamp();
        await Task.WhenAll(exchanges);
        var exchangesDone = Stopwatch.GetTimestamp();

        var readings = stack([lossSum!, GradientClipping.GlobalNorm(_parameters)]).to(float64).cpu().data<double>().ToArray();
        var (localLoss, gradNorm) = (readings[0], readings[1]);
        var nonFinite = double.IsFinite(localLoss) && double.IsFinite(gradNorm) ? 0.0 : 1.0;
        var totals = _peers.WorldSize == 1 ? [localLoss, nonFinite] : await _peers.SumAsync([localLoss, nonFinite], cancellationToken);
        var meanLoss = totals[0] / _peers.WorldSize;
        var skipped = totals[1] > 0 || !double.IsFinite(meanLoss);
        if (!skipped) _optimizer.Step(learningRate, GradientClipping.Coefficient(gradNorm, _options.GradClip));
        _optimizer.ZeroGrad();
        var phases = new Progress.StepPhases(
            Stopwatch.GetElapsedTime(started, backwardDone).TotalSeconds,
            Stopwatch.GetElapsedTime(backwardDone, exchangesDone).TotalSeconds,
            Stopwatch.GetElapsedTime(exchangesDone).TotalSeconds,
            _firstExchange == 0 ? 0 : Stopwatch.GetElapsedTime(_firstExchange, exchangesDone).TotalSeconds,
            _exchangedBytes,
            (_peers.SendingTime - sendingBefore).TotalSeconds);
        return new StepOutcome(meanLoss, gradNorm, skipped, phases, _exchange.WireBytes, _exchange.DenseBytes);
    }

    /// <summary>Starts one gradient exchange, noting when the step's first one began (for <see cref="Progress.StepPhases"/>).</summary>
    private Task StartExchange(IReadOnlyList<Parameter> parameters, CancellationToken cancellationToken)
    {
        if (parameters.Count == 0) return Task.CompletedTask; // a frozen segment: the same on every rank, so no rank calls
        if (_firstExchange == 0) _firstExchange = Stopwatch.GetTimestamp();
        foreach (var parameter in parameters) _exchangedBytes += parameter.numel() * sizeof(float);
        return _exchange.ExchangeAsync(parameters, cancellationToken);
    }

    /// <summary>Forward and backward of one micro-batch in one piece; returns the detached, weighted loss.</summary>
    private Tensor Backward(Tensor input, Tensor target, double divisor)
    {
        var loss = Loss(_model.call(input), target, divisor);
        loss.backward();
        return loss.detach();
    }

    /// <summary>
    /// Forward through the segments with a cut (detached, grad-requiring input) between each, then backward from the
    /// last segment to the first, handing each segment's finished gradients to the peers before starting the next.
    /// </summary>
    private Tensor BackwardBySegments(Tensor input, Tensor target, double divisor, List<Task> exchanges, CancellationToken cancellationToken)
    {
        var count = _model.SegmentCount;
        var cuts = new Tensor[count];
        var outputs = new Tensor[count];
        for (var i = 0; i < count; i++)
        {
            cuts[i] = i == 0 ? input : outputs[i - 1].detach().requires_grad_(true);
            outputs[i] = _model.ForwardSegment(i, cuts[i]);
        }
        var loss = Loss(outputs[count - 1], target, divisor);
        loss.backward();
        exchanges.Add(StartExchange(_segmentParameters[count - 1], cancellationToken));
        for (var i = count - 2; i >= 0; i--)
        {
            if (!outputs[i].requires_grad) continue; // nothing below trains (frozen embeddings under adapters)
            outputs[i].backward([cuts[i + 1].grad!]);
            exchanges.Add(StartExchange(_segmentParameters[i], cancellationToken));
        }
        return loss.detach();
    }

    /// <summary>
    /// Mean cross-entropy of logits <c>(B, T, V)</c> against targets <c>(B, T)</c>, divided by the micro-batch's
    /// <see cref="BatchPlan.LossDivisor"/> so the sum over micro-batches and the average over ranks weigh every sequence alike.
    /// </summary>
    private static Tensor Loss(Tensor logits, Tensor target, double divisor)
    {
        var loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[^1]), target.reshape(-1));
        return divisor == 1 ? loss : loss / divisor;
    }
}
