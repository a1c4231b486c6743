using TorchSharp;
using static TorchSharp.torch;

namespace Orchestrator.Training.Distributed;

/// <summary>
/// Data-parallel replicas must hold bit-identical parameters: they start from the same seed and apply the same
/// averaged gradients. Every few steps each rank computes a checksum of its parameters and all ranks compare them,
/// so a silent divergence (a bad all-reduce, a non-deterministic kernel, a worker with other code) stops the job
/// instead of training N different models.
/// </summary>
public static class ReplicaConsistency
{
    /// <summary>Throws <see cref="ReplicaDivergenceException"/> on every rank when any two replicas differ.</summary>
    public static async Task VerifyAsync(nn.Module model, IGradientSynchronizer peers, long step, CancellationToken cancellationToken)
    {
        var (sum, squares) = Checksum(model);
        // One slot pair per rank: adding zeros is exact, so every rank sees every other rank's checksum bit for bit.
        var slots = new double[2 * peers.WorldSize];
        slots[2 * peers.Rank] = sum;
        slots[2 * peers.Rank + 1] = squares;
        var all = await peers.SumAsync(slots, cancellationToken);
        for (var rank = 1; rank < peers.WorldSize; rank++)
        {
            if (all[2 * rank].Equals(all[0]) && all[2 * rank + 1].Equals(all[1])) continue;
            throw new ReplicaDivergenceException(
                $"replicas diverged at step {step}: rank 0 parameter checksum ({all[0]:R}, {all[1]:R}) but rank {rank} has " +
                $"({all[2 * rank]:R}, {all[2 * rank + 1]:R}); the workers no longer train the same model. Check that every worker runs " +
                "the same build and device type, then resume from the last checkpoint");
        }
    }

    /// <summary>Sum and sum of squares of every parameter, accumulated in float64.</summary>
    public static (double Sum, double Squares) Checksum(nn.Module model)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var parts = model.parameters()
            .Select(p => p.to(ScalarType.Float64))
            .Select(p => stack([p.sum(), p.square().sum()]))
            .ToArray();
        var totals = stack(parts).sum(dim: 0).cpu().data<double>().ToArray();
        return (totals[0], totals[1]);
    }
}

/// <summary>Raised when data-parallel replicas hold different parameters; the job must stop and resume from a checkpoint.</summary>
public sealed class ReplicaDivergenceException(string message) : Exception(message);
