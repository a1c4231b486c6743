using System.Text.Json;
using Orchestrator.EndToEnd.Tests.TestSupport;
using Orchestrator.Models;
using Orchestrator.Training;

namespace Orchestrator.EndToEnd.Tests.DataParallel;

/// <summary>
/// The core promise of <c>train --workers N</c>: with the same seed and global batch, N worker processes exchanging
/// gradients over gRPC train the same model as one process, and the result depends on the seed, not on the split.
/// </summary>
[Collection(DataParallelCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class DataParallelEquivalenceTests(DataParallelRuns runs)
{
    // float32 sums taken in another order differ by a few ulps per step. Parameters whose true gradient is zero
    // (the attention key bias: softmax ignores a per-query constant) are moved only by AdamW normalising that rounding
    // noise, to values ~1e-7, so they also get an absolute allowance of 1e-6 = 1/1000 of one step at lr 1e-3.
    private const double RelativeTolerance = 1e-5;
    private const double AbsoluteTolerance = 1e-6;

    [Fact]
    public void One_two_and_three_workers_sharing_a_global_batch_of_twelve_train_the_same_parameters()
    {
        var single = runs.OneWorker.FinalParameters();
        foreach (var run in new[] { runs.TwoWorkers, runs.ThreeWorkers })
        {
            var differences = ParameterDifference.Compare(single, run.FinalParameters());
            // 2 embeddings, 12 tensors in each of the 2 blocks, the final LayerNorm's 2 and the (tied) lm_head.
            Assert.Equal(29, differences.Count);
            var outside = differences.Where(d => d.MaxAbsDifference > RelativeTolerance * d.MaxAbsValue + AbsoluteTolerance).ToArray();
            Assert.True(outside.Length == 0, $"{run} differs from 1 worker x batch 12:\n{string.Join("\n", outside.Select(d => d.ToString()))}");
        }
    }

    [Fact]
    public void Every_worker_count_reports_the_same_final_training_loss()
    {
        var losses = new[] { runs.OneWorker, runs.TwoWorkers, runs.ThreeWorkers }
            .Select(run => JsonDocument.Parse(run.Result.LastStdoutLine).RootElement.GetProperty("final_train_loss").GetDouble())
            .ToArray();
        // A character model starts near ln(vocabulary) ≈ 4.06 nats and five small steps lower it only a little.
        Assert.InRange(losses[0], 3.0, 4.2);
        Assert.All(losses, loss => Assert.Equal(losses[0], loss, 1e-5));
        Assert.Contains("\"workers\":3", runs.ThreeWorkers.Result.LastStdoutLine);
    }

    [Fact]
    public void Five_steps_move_every_tensor_away_from_the_seeded_initialisation()
    {
        var initial = UntrainedParameters(runs.OneWorker.FinalCheckpoint);
        foreach (var run in new[] { runs.OneWorker, runs.TwoWorkers, runs.ThreeWorkers })
        {
            var trained = run.FinalParameters();
            Assert.Equal(initial.Keys.Order(StringComparer.Ordinal), trained.Keys.Order(StringComparer.Ordinal));
            Assert.All(trained.Values, tensor => Assert.False(ParameterDifference.BitwiseEqual(initial[tensor.Name], tensor),
                $"{run}: '{tensor.Name}' is bit-for-bit its initial value"));
            // AdamW moves a parameter by about the learning rate per step (1e-3 decaying to 1e-4 here).
            var moved = ParameterDifference.Compare(initial, trained).Max(d => d.MaxAbsDifference);
            Assert.InRange(moved, 1e-3, 1e-2);
        }
    }

    [Fact]
    public void Another_seed_trains_different_parameters()
    {
        var differences = ParameterDifference.Compare(runs.TwoWorkers.FinalParameters(), runs.TwoWorkersOtherSeed.FinalParameters());
        var matrices = differences.Where(d => runs.TwoWorkers.FinalParameters()[d.Name].Shape.Length == 2).ToArray();
        Assert.NotEmpty(matrices);
        // Different initial weights: the matrices differ by a good part of their own magnitude, not by rounding.
        Assert.All(matrices, d => Assert.True(d.Relative > 0.1, d.ToString()));
    }

    /// <summary>
    /// The model a run starts from, rebuilt in this process from the checkpoint's config.json the way the trainer
    /// builds it (generator seeded with the run's seed, then the model constructed).
    /// </summary>
    private static IReadOnlyDictionary<string, StoredTensor> UntrainedParameters(string checkpoint)
    {
        var config = RunConfig.Load(Path.Combine(checkpoint, "config.json"));
        TrainingRandomness.SeedForInitialisation(config.Training.Seed);
        using var model = ModelFactory.Create(config.Model);
        return model.state_dict().ToDictionary(
            p => p.Key,
            p => new StoredTensor(p.Key, p.Value.shape, p.Value.data<float>().ToArray()),
            StringComparer.Ordinal);
    }
}
