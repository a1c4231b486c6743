using Orchestrator.Data;
using Orchestrator.Models;
using Orchestrator.Models.Lora;
using Orchestrator.Training.Checkpoints;
using Orchestrator.Training.Distributed;
using Orchestrator.Training.Pretrained;
using Orchestrator.Training.Tests.TestSupport;
using TorchSharp.PyBridge;
using static TorchSharp.torch;
using Orchestrator.Inference;

namespace Orchestrator.Training.Tests.Pretrained;

/// <summary>
/// LoRA on a pretrained GPT-2: only the adapters train, travel between workers and go into checkpoints; the base stays
/// bit for bit what it was, and a checkpoint finds and checks its base again when loaded.
/// </summary>
public sealed class LoraTrainingTests : IDisposable
{
    private static readonly LoraConfig Lora = new() { Rank = 4, Alpha = 8, Targets = ["c_attn", "mlp.c_fc"] };
    private readonly TempDirectory _temp = new();
    private readonly string _base;
    private readonly PreparedDataset _data;

    public LoraTrainingTests()
    {
        _base = PythonGpt2.Make(_temp.Sub("hf"));
        _data = TinyDatasets.Create(_temp.Sub("data"), TinyDatasets.WordText(3000, 1), TinyDatasets.WordText(800, 2), tokenizerKind: "gpt2");
    }

    private RunConfig Config(int maxSteps = 6, int embeddingRank = 0)
    {
        var config = TestConfigs.FineTune(_base, _data.Meta.VocabSize, Lora with { EmbeddingRank = embeddingRank });
        return config with
        {
            Training = config.Training with
            {
                MaxSteps = maxSteps, LearningRate = 1e-2, MinLr = 1e-3, WarmupSteps = 0, LrSchedule = "constant", WeightDecay = 0,
                EvalInterval = 0, CheckpointInterval = 3, GlobalBatchSize = 4, BatchSize = 2,
            },
        };
    }

    /// <summary>
    /// Number of adapter scalars for <see cref="Lora"/> on the 2-layer, 16-wide base: per layer A (r x in) and B (out x r)
    /// of c_attn and c_fc, plus the tied embedding's A (vocab x r) and B (r x 16) when it has a rank.
    /// </summary>
    private static long AdapterScalars(int embeddingRank = 0) =>
        2 * (4 * 16 + 48 * 4 + 4 * 16 + 64 * 4) + embeddingRank * (50257 + 16);

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public async Task Adapters_train_while_the_base_stays_bit_identical_and_checkpoints_hold_only_adapters(int embeddingRank)
    {
        using var trainer = new Trainer(Config(embeddingRank: embeddingRank), _data, _temp.Sub("run"), SingleProcessSynchronizer.Instance, new ListLogger());
        var before = Snapshot(trainer.Model);
        var result = await trainer.RunAsync(CancellationToken.None);
        var after = Snapshot(trainer.Model);

        Assert.Equal(AdapterScalars(embeddingRank), result.TrainableParameters);
        foreach (var (name, values) in before)
        {
            if (LoraWeights.IsAdapter(name)) continue;
            Assert.True(values.AsSpan().SequenceEqual(after[name]), $"base tensor {name} changed");
        }
        Assert.Contains(after, kv => kv.Key.EndsWith(".lora_B") && kv.Value.Any(v => v != 0));
        using (var pretrained = ModelFactory.Create(PretrainedModel.Open(_base).Config with { BlockSize = 16 }))
        {
            PretrainedModel.Open(_base).LoadInto(pretrained);
            foreach (var (name, values) in Snapshot(pretrained))
            {
                // A model whose tied embedding is adapted has no separate lm_head.weight: it is wte.weight, compared already.
                if (name == "lm_head.weight" && !after.ContainsKey(name)) continue;
                Assert.True(values.AsSpan().SequenceEqual(after[name]), $"base tensor {name} differs from the pretrained file");
            }
        }

        var saved = Safetensors.LoadStateDict(Path.Combine(result.CheckpointDirectory!, CheckpointFiles.Model));
        Assert.All(saved.Keys, name => Assert.True(LoraWeights.IsAdapter(name), $"checkpoint holds base tensor {name}"));
        Assert.Equal(AdapterScalars(embeddingRank), saved.Values.Sum(t => t.numel()));

        // Loading the checkpoint (eval, generate, serve) rebuilds base + adapters.
        using var loaded = TrainedModel.Load(_temp.Sub("run"));
        using var scope = NewDisposeScope();
        trainer.Model.eval();
        var input = Gpt2Windows.Inputs(Gpt2Windows.Random(2, 12, 3));
        Assert.Equal(0.0, (loaded.Model.call(input) - trainer.Model.call(input)).abs().max().item<float>());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public async Task Two_workers_train_the_same_adapters_as_one_with_the_same_global_batch(int embeddingRank)
    {
        var (_, one) = await GroupTraining.Run(Config(embeddingRank: embeddingRank), _data, _temp.Sub("one"), 1, new ListLogger());
        var (_, two) = await GroupTraining.Run(Config(embeddingRank: embeddingRank), _data, _temp.Sub("two"), 2, new ListLogger());
        var difference = ParameterSnapshot.MaxDifference(one[0], two[0]);
        Assert.True(difference < 1e-5, $"adapters differ by {difference}");
        Assert.Equal(0, ParameterSnapshot.MaxDifference(two[0], two[1]));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public async Task Bytes_all_reduced_per_step_equal_the_adapters_size(int embeddingRank)
    {
        var counters = new List<CountingSynchronizer>();
        await GroupTraining.Run(Config(maxSteps: 4, embeddingRank: embeddingRank), _data, _temp.Sub("run"), 2, new ListLogger(),
            wrap: peer => { var c = new CountingSynchronizer(peer); lock (counters) counters.Add(c); return c; });
        Assert.Equal(2, counters.Count);
        foreach (var counter in counters)
            Assert.Equal(4 * AdapterScalars(embeddingRank) * sizeof(float), counter.Bytes);
    }

    [Fact]
    public async Task Resume_continues_the_adapters_as_an_uninterrupted_run()
    {
        var (_, straight) = await GroupTraining.Run(Config(), _data, _temp.Sub("straight"), 1, new ListLogger());
        await GroupTraining.Run(Config(maxSteps: 3), _data, _temp.Sub("split"), 1, new ListLogger());
        var (_, resumed) = await GroupTraining.Run(Config(), _data, _temp.Sub("split"), 1, new ListLogger(), resume: true);
        Assert.Equal(0, ParameterSnapshot.MaxDifference(straight[0], resumed[0]));
    }

    [Fact]
    public async Task A_LoRA_checkpoint_refuses_a_base_that_changed()
    {
        using (var trainer = new Trainer(Config(maxSteps: 3), _data, _temp.Sub("run"), SingleProcessSynchronizer.Instance, new ListLogger()))
            await trainer.RunAsync(CancellationToken.None);
        PythonGpt2.Make(_base, seed: 4); // the same architecture, other weights
        var error = Assert.Throws<CheckpointMismatchException>(() => TrainedModel.Load(_temp.Sub("run")));
        Assert.Contains("sha256", error.Message);
        Assert.Contains(_base, error.Message);
    }

    private static Dictionary<string, float[]> Snapshot(LanguageModel model) =>
        model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().cpu().data<float>().ToArray());

    /// <summary>Counts the float32 bytes of every gradient handed to the all-reduce.</summary>
    private sealed class CountingSynchronizer(IGradientSynchronizer inner) : IGradientSynchronizer
    {
        private long _bytes;
        public long Bytes => Interlocked.Read(ref _bytes);
        public int Rank => inner.Rank;
        public int WorldSize => inner.WorldSize;

        public Task AverageGradientsAsync(IReadOnlyList<Tensor> gradients, GradientWire wire, CancellationToken cancellationToken)
        {
            Interlocked.Add(ref _bytes, gradients.Sum(g => g.numel()) * sizeof(float));
            return inner.AverageGradientsAsync(gradients, wire, cancellationToken);
        }

        public Task<double[]> SumAsync(double[] values, CancellationToken cancellationToken) => inner.SumAsync(values, cancellationToken);

        public Task<float[][]> GatherAsync(float[] values, CancellationToken cancellationToken) => inner.GatherAsync(values, cancellationToken);
    }

    public void Dispose()
    {
        _data.Dispose();
        _temp.Dispose();
    }
}
