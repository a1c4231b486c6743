using Orchestrator.Training.Distributed;
using static TorchSharp.torch;

namespace Orchestrator.Training.Tests.TestSupport;

/// <summary>
/// Ranks of one process exchanging through shared memory: a reference implementation of the collective semantics
/// (the k-th call of every rank meets the k-th call of the others) for testing the trainer's use of them without a network.
/// </summary>
internal sealed class InProcessGroup
{
    private readonly Dictionary<(string Kind, long Index), Round> _rounds = [];
    private readonly object _gate = new();

    public InProcessGroup(int worldSize)
    {
        Ranks = Enumerable.Range(0, worldSize).Select(r => (IGradientSynchronizer)new Member(this, r, worldSize)).ToArray();
    }

    public IReadOnlyList<IGradientSynchronizer> Ranks { get; }

    private async Task<T> Meet<T>(string kind, long index, int rank, object contribution, Func<object[], T> combine)
    {
        Round round;
        lock (_gate)
        {
            if (!_rounds.TryGetValue((kind, index), out round!))
                _rounds[(kind, index)] = round = new Round(new object[Ranks.Count]);
            round.Contributions[rank] = contribution;
            if (++round.Arrived == Ranks.Count)
            {
                _rounds.Remove((kind, index));
                round.Done.SetResult(combine(round.Contributions)!);
            }
        }
        return (T)await round.Done.Task;
    }

    private sealed class Round(object[] contributions)
    {
        public object[] Contributions { get; } = contributions;
        public int Arrived { get; set; }
        public TaskCompletionSource<object> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class Member(InProcessGroup group, int rank, int worldSize) : IGradientSynchronizer
    {
        private long _averages, _sums, _gathers;

        public int Rank => rank;
        public int WorldSize => worldSize;

        public Task AverageGradientsAsync(IReadOnlyList<Tensor> gradients, GradientWire wire, CancellationToken cancellationToken) =>
            group.Meet("average", _averages++, rank, gradients, all =>
            {
                var perRank = all.Cast<IReadOnlyList<Tensor>>().ToArray();
                using var noGrad = no_grad();
                for (var i = 0; i < perRank[0].Count; i++)
                {
                    using var sum = perRank[0][i].clone();
                    for (var r = 1; r < perRank.Length; r++) sum.add_(perRank[r][i]);
                    sum.div_(perRank.Length);
                    if (wire == GradientWire.Bfloat16)
                    {
                        using var rounded = sum.to(ScalarType.BFloat16); // what the ring's owner sends on
                        sum.copy_(rounded);
                    }
                    foreach (var grads in perRank) grads[i].copy_(sum);
                }
                return true;
            });

        public Task<double[]> SumAsync(double[] values, CancellationToken cancellationToken) =>
            group.Meet("sum", _sums++, rank, values, all =>
                Enumerable.Range(0, values.Length).Select(i => all.Cast<double[]>().Sum(v => v[i])).ToArray());

        public async Task<float[][]> GatherAsync(float[] values, CancellationToken cancellationToken)
        {
            var gathered = await group.Meet("gather", _gathers++, rank, values, all => all.Cast<float[]>().ToArray());
            return gathered.Select(v => v.ToArray()).ToArray();
        }
    }
}
