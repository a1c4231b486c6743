using Orchestrator.Training.Checkpoints;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Orchestrator.Training.Optimization;

/// <summary>
/// AdamW (Loshchilov &amp; Hutter) written with in-place tensor operations, following PyTorch's single-tensor
/// implementation step for step. Our own rather than <c>torch.optim.AdamW</c> so its moments can be saved to
/// safetensors and restored bit for bit, and so gradient clipping can be folded into the moment updates instead
/// of costing a separate pass over the gradients. Weight decay applies only to parameters of two or more
/// dimensions (matrices, embeddings), never to biases and norm gains.
/// </summary>
public sealed class AdamW : IDisposable
{
    private readonly Slot[] _slots;
    private readonly double _beta1, _beta2, _eps, _weightDecay;

    /// <summary>Takes distinct parameters with their state-dict names (a tied weight listed once, as <c>named_parameters</c> of our models gives them).</summary>
    public AdamW(IEnumerable<(string Name, Parameter Parameter)> parameters, double beta1, double beta2, double eps, double weightDecay)
    {
        (_beta1, _beta2, _eps, _weightDecay) = (beta1, beta2, eps, weightDecay);
        _slots = parameters.Select(p => new Slot(
            p.Name,
            p.Parameter,
            zeros_like(p.Parameter).DetachFromDisposeScope(),
            zeros_like(p.Parameter).DetachFromDisposeScope(),
            p.Parameter.dim() >= 2)).ToArray();
        var duplicate = _slots.GroupBy(s => s.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new ArgumentException($"parameter '{duplicate.Key}' is listed twice: pass each tensor once", nameof(parameters));
    }

    /// <summary>Optimizer steps taken so far (drives the bias corrections).</summary>
    public long StepCount { get; private set; }

    public IReadOnlyList<Parameter> Parameters => _slots.Select(s => s.Parameter).ToArray();

    /// <summary>Names of the parameters that receive weight decay.</summary>
    public IEnumerable<string> DecayedParameterNames => _slots.Where(s => s.Decay).Select(s => s.Name);

    /// <summary>
    /// One update with learning rate <paramref name="learningRate"/>, treating every gradient as multiplied by
    /// <paramref name="gradientScale"/> (the clipping coefficient). Parameters without a gradient are left alone.
    /// </summary>
    public void Step(double learningRate, double gradientScale = 1.0)
    {
        StepCount++;
        var biasCorrection1 = 1 - Math.Pow(_beta1, StepCount);
        var biasCorrection2 = 1 - Math.Pow(_beta2, StepCount);
        using var noGrad = no_grad();
        using var beta1 = _beta1.ToScalar();
        using var beta2 = _beta2.ToScalar();
        using var firstMomentWeight = ((1 - _beta1) * gradientScale).ToScalar();
        using var secondMomentWeight = ((1 - _beta2) * gradientScale * gradientScale).ToScalar();
        using var decayFactor = (1 - learningRate * _weightDecay).ToScalar();
        using var bias2Sqrt = Math.Sqrt(biasCorrection2).ToScalar();
        using var eps = _eps.ToScalar();
        using var negativeStepSize = (-learningRate / biasCorrection1).ToScalar();
        foreach (var slot in _slots)
        {
            using var grad = slot.Parameter.grad;
            if (grad is null) continue;
            if (slot.Decay && _weightDecay != 0) slot.Parameter.mul_(decayFactor);
            slot.ExpAvg.mul_(beta1).add_(grad, firstMomentWeight);
            slot.ExpAvgSq.mul_(beta2).addcmul_(grad, grad, secondMomentWeight);
            using var denominator = slot.ExpAvgSq.sqrt();
            denominator.div_(bias2Sqrt).add_(eps);
            slot.Parameter.addcdiv_(slot.ExpAvg, denominator, negativeStepSize);
        }
    }

    /// <summary>Zeroes gradients in place, keeping their buffers for the next backward pass.</summary>
    public void ZeroGrad()
    {
        foreach (var slot in _slots)
        {
            using var grad = slot.Parameter.grad;
            grad?.zero_();
        }
    }

    /// <summary>
    /// The moments as CPU tensors named <c>{parameter}.exp_avg</c> and <c>{parameter}.exp_avg_sq</c>. Call it inside a
    /// dispose scope: the tensors (copies, or views when the model is on the CPU) belong to it.
    /// </summary>
    public Dictionary<string, Tensor> MomentsToCpu()
    {
        var moments = new Dictionary<string, Tensor>(2 * _slots.Length);
        foreach (var slot in _slots)
        {
            moments[slot.Name + ".exp_avg"] = slot.ExpAvg.detach().cpu().contiguous();
            moments[slot.Name + ".exp_avg_sq"] = slot.ExpAvgSq.detach().cpu().contiguous();
        }
        return moments;
    }

    /// <summary>Restores moments saved by <see cref="MomentsToCpu"/> and the step count; throws naming the first missing or mis-shaped tensor.</summary>
    public void Restore(IReadOnlyDictionary<string, Tensor> moments, long stepCount, string source)
    {
        using var noGrad = no_grad();
        foreach (var slot in _slots)
        {
            CopyInto(slot.ExpAvg, slot.Name + ".exp_avg");
            CopyInto(slot.ExpAvgSq, slot.Name + ".exp_avg_sq");
        }
        StepCount = stepCount;

        void CopyInto(Tensor target, string key)
        {
            if (!moments.TryGetValue(key, out var saved))
                throw new CheckpointMismatchException($"optimizer state '{source}' has no tensor '{key}': it was written for a different model");
            if (!saved.shape.SequenceEqual(target.shape))
                throw new CheckpointMismatchException($"optimizer state '{source}' tensor '{key}' has shape [{string.Join(", ", saved.shape)}] but the model needs [{string.Join(", ", target.shape)}]");
            target.copy_(saved);
        }
    }

    public void Dispose()
    {
        foreach (var slot in _slots)
        {
            slot.ExpAvg.Dispose();
            slot.ExpAvgSq.Dispose();
        }
    }

    private sealed record Slot(string Name, Parameter Parameter, Tensor ExpAvg, Tensor ExpAvgSq, bool Decay);
}
