using System.Diagnostics;
using System.Text.Json;
using Orchestrator.Training.Compression;
using Orchestrator.Training.Distributed;
using Orchestrator.Training.Tests.TestSupport;
using TorchSharp;
using Parameter = TorchSharp.Modules.Parameter;
using static TorchSharp.torch;

namespace Orchestrator.Training.Tests.Compression;

/// <summary>The compressor alone, on matrices with chosen gradients, exchanging through an in-process group.</summary>
public sealed class PowerSgdCompressorTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    [Theory]
    [InlineData(6, 5, 5)]
    [InlineData(4, 9, 4)]
    [InlineData(5, 5, 7)]
    public async Task Rank_at_least_the_smaller_side_gives_the_plain_average(int rows, int columns, int rank)
    {
        const int worldSize = 2;
        var group = new InProcessGroup(worldSize);
        var gradients = Enumerable.Range(0, worldSize).Select(r => RandomMatrix(rows, columns, seed: 10 + r)).ToArray();
        var biases = Enumerable.Range(0, worldSize).Select(r => RandomMatrix(1, 7, seed: 20 + r).reshape(7)).ToArray();
        var ranks = Enumerable.Range(0, worldSize).Select(r => new RankState(gradients[r], rank, biases[r])).ToArray();

        await Task.WhenAll(ranks.Select((s, r) => s.Compressor.ExchangeAsync(s.Parameters, group.Ranks[r], CancellationToken.None)));

        using var expected = (gradients[0] + gradients[1]) / 2;
        using var expectedBias = (biases[0] + biases[1]) / 2;
        foreach (var state in ranks)
        {
            Assert.True(state.Matrix.grad!.allclose(expected, rtol: 1e-4, atol: 1e-5), $"rank {rank} on {rows}x{columns}: {state.Matrix.grad!.sub(expected).abs().max().item<float>()} off");
            Assert.Equal(expectedBias.data<float>().ToArray(), state.Bias!.grad!.data<float>().ToArray());
        }
        // What each rank keeps for error feedback is only its own deviation from the average: G_k − mean.
        for (var r = 0; r < worldSize; r++)
        {
            using var deviation = gradients[r] - expected;
            using var error = tensor(ranks[r].Compressor.ErrorsToArray(), [rows, columns]);
            Assert.True(error.allclose(deviation, rtol: 1e-4, atol: 1e-5));
            ranks[r].Dispose();
        }
    }

    [Fact]
    public async Task With_error_feedback_the_sum_of_updates_tracks_the_sum_of_gradients()
    {
        const int worldSize = 2, rows = 12, columns = 10, steps = 200;
        var group = new InProcessGroup(worldSize);
        var gradients = Enumerable.Range(0, worldSize).Select(r => RandomMatrix(rows, columns, seed: 30 + r)).ToArray();
        using var mean = (gradients[0] + gradients[1]) / 2;
        var ranks = Enumerable.Range(0, worldSize).Select(r => new RankState(gradients[r], rank: 1)).ToArray();
        using var applied = zeros(rows, columns);
        var lagNorms = new List<double>();
        for (var step = 1; step <= steps; step++)
        {
            foreach (var (state, r) in ranks.Select((s, r) => (s, r))) state.Matrix.grad!.copy_(gradients[r]);
            await Task.WhenAll(ranks.Select((s, r) => s.Compressor.ExchangeAsync(s.Parameters, group.Ranks[r], CancellationToken.None)));
            Assert.Equal(ranks[0].Matrix.grad!.data<float>().ToArray(), ranks[1].Matrix.grad!.data<float>().ToArray()); // every rank applies the same update
            applied.add_(ranks[0].Matrix.grad!);
            using var lag = mean * step - applied;
            lagNorms.Add(lag.norm().item<float>());
        }

        // Σ applied = t·mean − (mean error): the lag stays bounded instead of growing with t, so the average update converges.
        var gradientNorm = mean.norm().item<float>();
        Assert.True(lagNorms.Max() < 10 * gradientNorm, $"the lag grew to {lagNorms.Max()} (gradient norm {gradientNorm})");
        Assert.True(lagNorms[^1] / steps < 0.05 * gradientNorm, $"the mean update is {lagNorms[^1] / steps} from the mean gradient (norm {gradientNorm})");
        // A rank-1 update of a full-rank 12×10 gradient is far from it at any single step: feedback is what closes the gap.
        using var oneStep = ranks[0].Matrix.grad! - mean;
        Assert.True(oneStep.norm().item<float>() > 0.1 * gradientNorm);
        foreach (var state in ranks) state.Dispose();
    }

    [Fact]
    public async Task Three_steps_on_two_ranks_match_a_PyTorch_computation()
    {
        const int worldSize = 2, rows = 12, columns = 10, rank = 2, steps = 3;
        var group = new InProcessGroup(worldSize);
        var ranks = Enumerable.Range(0, worldSize).Select(r => new RankState(RandomMatrix(rows, columns, seed: 40 + r), rank)).ToArray();
        var q0 = ranks[0].Compressor.QToArrays().Single().Values;
        Assert.Equal(q0, ranks[1].Compressor.QToArrays().Single().Values); // the shared seed
        var stepGradients = new List<float[][]>();
        var approximations = new List<float[]>();
        for (var step = 0; step < steps; step++)
        {
            var gradients = Enumerable.Range(0, worldSize).Select(r => RandomMatrix(rows, columns, seed: 100 * step + r)).ToArray();
            stepGradients.Add(gradients.Select(g => g.data<float>().ToArray()).ToArray());
            foreach (var (state, r) in ranks.Select((s, r) => (s, r))) state.Matrix.grad!.copy_(gradients[r]);
            await Task.WhenAll(ranks.Select((s, r) => s.Compressor.ExchangeAsync(s.Parameters, group.Ranks[r], CancellationToken.None)));
            approximations.Add(ranks[0].Matrix.grad!.data<float>().ToArray());
        }

        var input = Path.Combine(_temp.Path, "powersgd.json");
        Directory.CreateDirectory(_temp.Path);
        File.WriteAllText(input, JsonSerializer.Serialize(new
        {
            rows, columns, rank, q0,
            gradients = stepGradients,
            approximations,
            errors = ranks.Select(s => s.Compressor.ErrorsToArray()).ToArray(),
        }));
        var report = JsonDocument.Parse(RunReference(input)).RootElement;
        var difference = report.GetProperty("max_abs_diff").GetDouble();
        // float32 against float64 on values of order 1: a few 1e-6; a missing average, a transposed Q or a lost error is order 1.
        Assert.True(difference < 1e-4, $"PowerSGD differs from the PyTorch computation by {difference}");
        foreach (var state in ranks) state.Dispose();
    }

    [Theory]
    [InlineData(384, 384, 4, true)]
    [InlineData(384, 1536, 8, true)]
    [InlineData(16, 16, 4, true)]
    [InlineData(16, 16, 5, false)]
    [InlineData(8, 3, 2, false)]
    [InlineData(8, 3, 1, true)]
    public void Only_matrices_whose_factors_are_at_most_half_their_size_are_compressed(long rows, long columns, int rank, bool compressed)
    {
        Assert.Equal(compressed, PowerSgdCompressor.Compresses([rows, columns], rank));
        Assert.False(PowerSgdCompressor.Compresses([rows * columns], 1));
    }

    private static Tensor RandomMatrix(int rows, int columns, int seed)
    {
        using var generator = new Generator((ulong)seed, CPU);
        return randn([rows, columns], float32, CPU, generator: generator);
    }

    private static string RunReference(string input) =>
        PyTorchScript.LastLine(PyTorchScript.Run(PyTorchScript.Beside("powersgd_reference.py"), [input], TimeSpan.FromMinutes(2)));

    public void Dispose() => _temp.Dispose();

    /// <summary>One rank's parameters (a matrix and optionally a vector) holding given gradients, and its compressor.</summary>
    private sealed class RankState : IDisposable
    {
        public RankState(Tensor gradient, int rank, Tensor? biasGradient = null)
        {
            Matrix = new Parameter(zeros_like(gradient));
            Bias = biasGradient is null ? null : new Parameter(zeros_like(biasGradient));
            using (var loss = (Matrix * gradient).sum()) loss.backward();
            if (Bias is not null)
                using (var loss = (Bias * biasGradient!).sum()) loss.backward();
            Parameters = Bias is null ? [Matrix] : [Matrix, Bias];
            Compressor = new PowerSgdCompressor([("w", Matrix)], rank, seed: 7);
        }

        public Parameter Matrix { get; }
        public Parameter? Bias { get; }
        public IReadOnlyList<Parameter> Parameters { get; }
        public PowerSgdCompressor Compressor { get; }

        public void Dispose()
        {
            Compressor.Dispose();
            Matrix.Dispose();
            Bias?.Dispose();
        }
    }
}
