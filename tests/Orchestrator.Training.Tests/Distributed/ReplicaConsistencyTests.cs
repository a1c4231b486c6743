using Orchestrator.Models;
using Orchestrator.Training.Distributed;
using Orchestrator.Training.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace Orchestrator.Training.Tests.Distributed;

public sealed class ReplicaConsistencyTests
{
    private static readonly ModelConfig Tiny = new() { VocabSize = 11, BlockSize = 8, NLayer = 1, NHead = 2, NEmbd = 8 };

    private static LanguageModel Replica()
    {
        torch.manual_seed(7);
        return ModelFactory.Create(Tiny);
    }

    [Fact]
    public async Task Identical_replicas_pass_the_check()
    {
        var group = new InProcessGroup(2);
        using var a = Replica();
        using var b = Replica();
        await Task.WhenAll(
            ReplicaConsistency.VerifyAsync(a, group.Ranks[0], 100, CancellationToken.None),
            ReplicaConsistency.VerifyAsync(b, group.Ranks[1], 100, CancellationToken.None));
    }

    [Fact]
    public async Task A_replica_off_by_one_ulp_in_one_weight_stops_every_rank_naming_the_step_and_rank()
    {
        var group = new InProcessGroup(3);
        using var a = Replica();
        using var b = Replica();
        using var c = Replica();
        using (no_grad())
        {
            var weight = c.parameters().First();
            var value = weight.flatten()[0].item<float>();
            weight.flatten()[0] = MathF.BitIncrement(value);
        }
        var checks = new[] { a, b, c }.Select((model, rank) =>
            Assert.ThrowsAsync<ReplicaDivergenceException>(() => ReplicaConsistency.VerifyAsync(model, group.Ranks[rank], 300, CancellationToken.None))).ToArray();
        var errors = await Task.WhenAll(checks);
        Assert.All(errors, e => Assert.Contains("step 300", e.Message));
        Assert.All(errors, e => Assert.Contains("rank 2", e.Message));
    }

    [Fact]
    public void Checksum_is_the_float64_sum_and_sum_of_squares_of_all_parameters()
    {
        using var model = Replica();
        double sum = 0, squares = 0;
        foreach (var p in model.parameters())
            foreach (var v in p.data<float>().ToArray())
            {
                sum += v;
                squares += (double)v * v;
            }
        var (s, q) = ReplicaConsistency.Checksum(model);
        Assert.Equal(sum, s, 1e-9);
        Assert.Equal(squares, q, 1e-9);
    }
}
