using Orchestrator.Inference.Generation;
using static TorchSharp.torch;

namespace Orchestrator.Inference.Tests.Generation;

public sealed class TokenSamplerTests
{
    // Probabilities 0.5, 0.25, 0.15, 0.07, 0.03 over tokens 0..4, shuffled to ids 3, 0, 4, 1, 2 so order in the vector matters not.
    private static readonly float[] Probabilities = [0.25f, 0.07f, 0.03f, 0.5f, 0.15f];

    private static Tensor HandMadeLogits() => tensor(Probabilities.Select(p => MathF.Log(p) + 1.7f).ToArray());

    private static int[] Kept(Tensor filtered) =>
        [.. filtered.data<float>().ToArray().Select((v, i) => (v, i)).Where(x => !float.IsNegativeInfinity(x.v)).Select(x => x.i)];

    [Theory]
    [InlineData(1, new[] { 3 })]
    [InlineData(2, new[] { 0, 3 })]
    [InlineData(3, new[] { 0, 3, 4 })]
    [InlineData(5, new[] { 0, 1, 2, 3, 4 })]
    [InlineData(9, new[] { 0, 1, 2, 3, 4 })]
    public void Top_k_keeps_exactly_the_k_most_likely_tokens(int k, int[] expected)
    {
        using var scope = NewDisposeScope();
        var logits = HandMadeLogits();
        var filtered = TokenSampler.TopK(logits, k);
        Assert.Equal(expected, Kept(filtered));
        // Kept logits are untouched.
        foreach (var id in expected) Assert.Equal(logits[id].item<float>(), filtered[id].item<float>());
    }

    [Theory]
    [InlineData(0.3, new[] { 3 })]          // 0.5 alone reaches 0.3
    [InlineData(0.7, new[] { 0, 3 })]       // 0.5 + 0.25 = 0.75 ≥ 0.7
    [InlineData(0.8, new[] { 0, 3, 4 })]    // 0.75 < 0.8, 0.9 ≥ 0.8
    [InlineData(0.95, new[] { 0, 1, 3, 4 })] // 0.9 < 0.95, 0.97 ≥ 0.95
    [InlineData(1.0, new[] { 0, 1, 2, 3, 4 })]
    public void Top_p_keeps_the_smallest_set_reaching_p(double p, int[] expected)
    {
        using var scope = NewDisposeScope();
        Assert.Equal(expected, Kept(TokenSampler.TopP(HandMadeLogits(), p)));
    }

    [Fact]
    public void Greedy_picks_the_most_likely_token_without_drawing()
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(1, CPU);
        var stateBefore = generator.get_state();
        Assert.Equal(3, TokenSampler.Sample(HandMadeLogits(), new GenerationOptions { Temperature = 0 }, generator));
        Assert.Equal(0.0, (generator.get_state() - stateBefore).abs().sum().item<long>());
    }

    [Fact]
    public void Sampling_frequencies_follow_the_temperature_scaled_filtered_distribution()
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(7, CPU);
        var options = new GenerationOptions { Temperature = 0.5, TopK = 3 };
        const int draws = 4000;
        var counts = new int[5];
        for (var i = 0; i < draws; i++) counts[TokenSampler.Sample(HandMadeLogits(), options, generator)]++;

        // p^(1/T) = p² over the top 3 {0.5, 0.25, 0.15}, renormalised: 0.25, 0.0625, 0.0225 over 0.335.
        var expected = new double[] { 0.0625 / 0.335, 0, 0, 0.25 / 0.335, 0.0225 / 0.335 };
        for (var id = 0; id < 5; id++)
            Assert.InRange(counts[id] / (double)draws, expected[id] - 0.025, expected[id] + 0.025);
        Assert.Equal(0, counts[1] + counts[2]);
    }

    [Fact]
    public void Same_seed_gives_the_same_samples_whatever_the_global_generator_did()
    {
        using var scope = NewDisposeScope();
        var options = new GenerationOptions { Temperature = 1.0 };
        int[] Draw(int globalDraws)
        {
            rand(globalDraws); // move the global generator on; the private one must not notice
            using var generator = new Generator(99, CPU);
            return [.. Enumerable.Range(0, 50).Select(_ => TokenSampler.Sample(HandMadeLogits(), options, generator))];
        }

        var first = Draw(1);
        Assert.Equal(first, Draw(2));
        using var other = new Generator(100, CPU);
        Assert.NotEqual(first, Enumerable.Range(0, 50).Select(_ => TokenSampler.Sample(HandMadeLogits(), options, other)).ToArray());
    }
}
