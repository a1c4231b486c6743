using Orchestrator.Training.Distributed;
using TorchSharp;
using static TorchSharp.torch;

namespace Orchestrator.Training.Tests.TestSupport;

/// <summary>
/// Wraps a rank's synchronizer and, at chosen steps, writes NaN into its gradients after they were averaged, as a bad
/// batch or an overflowing kernel would. Steps are counted by gradient exchanges (one per step with overlap off), in
/// the order they run, so a step re-run after a rollback has a new number. <see cref="BeforeExchange"/> runs on the
/// training thread before each exchange, with the step's number, while the weights are still those the step used.
/// </summary>
internal sealed class FaultInjectingSynchronizer(IGradientSynchronizer inner, Func<long, bool> poisoned) : IGradientSynchronizer
{
    private long _exchanges;

    public Action<long>? BeforeExchange { get; set; }
    public int Rank => inner.Rank;
    public int WorldSize => inner.WorldSize;

    public async Task AverageGradientsAsync(IReadOnlyList<Tensor> gradients, GradientWire wire, CancellationToken cancellationToken)
    {
        var step = _exchanges++;
        BeforeExchange?.Invoke(step);
        await inner.AverageGradientsAsync(gradients, wire, cancellationToken);
        if (!poisoned(step)) return;
        using var noGrad = no_grad();
        gradients[0].fill_(double.NaN);
    }

    public Task<double[]> SumAsync(double[] values, CancellationToken cancellationToken) => inner.SumAsync(values, cancellationToken);

    public Task<float[][]> GatherAsync(float[] values, CancellationToken cancellationToken) => inner.GatherAsync(values, cancellationToken);
}
