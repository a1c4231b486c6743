using TorchSharp;
using static TorchSharp.torch;

namespace Orchestrator.Models.Tests;

/// <summary>Small configurations and deterministic construction, so each test runs in milliseconds and the same way every time.</summary>
internal static class TinyModels
{
    static TinyModels() => set_num_threads(1);

    public static ModelConfig Gpt(bool bias = true, bool tie = true, double dropout = 0.0, int blockSize = 16) => new()
    {
        Model = "gpt", VocabSize = 11, BlockSize = blockSize, NLayer = 2, NHead = 2, NEmbd = 8,
        Bias = bias, TieWeights = tie, Dropout = dropout,
    };

    public static ModelConfig Recurrent(string kind, bool tie = true, double dropout = 0.0) => new()
    {
        Model = kind, VocabSize = 11, BlockSize = 16, NLayer = 2, NEmbd = 8, TieWeights = tie, Dropout = dropout,
    };

    /// <summary>Builds a model from a fixed seed (see <see cref="Seeded{T}"/>).</summary>
    public static LanguageModel Create(ModelConfig config, int seed = 1234, ScalarType dtype = ScalarType.Float32) =>
        Seeded(seed, () =>
        {
            var model = ModelFactory.Create(config);
            if (dtype != ScalarType.Float32) model.to(dtype);
            model.eval();
            return model;
        });

    /// <summary>
    /// Runs <paramref name="create"/> right after seeding torch's global RNG. A lock could not make this safe: any other
    /// test's unseeded draw (a dropout mask) would still interleave, so the assembly runs its tests one at a time
    /// (AssemblySettings.cs).
    /// </summary>
    public static T Seeded<T>(int seed, Func<T> create)
    {
        manual_seed(seed);
        return create();
    }

    /// <summary>Token ids <c>(batch, time)</c> drawn from a fixed seed.</summary>
    public static Tensor Tokens(int batch, int time, int vocab, int seed)
    {
        var random = new Random(seed);
        var ids = Enumerable.Range(0, batch * time).Select(_ => (long)random.Next(vocab)).ToArray();
        return tensor(ids, [batch, time]);
    }

    /// <summary>The largest absolute elementwise difference, as a plain number for assertion messages.</summary>
    public static double MaxAbsDiff(Tensor a, Tensor b) => (a - b).abs().max().to_type(ScalarType.Float64).item<double>();
}
