using TorchSharp;
using static TorchSharp.torch;

namespace Orchestrator.Inference.Generation;

/// <summary>
/// Picks the next token from a row of logits: greedy, or temperature-scaled sampling restricted by top-k and then
/// top-p. The filters are public so their exact token sets can be tested on hand-made logits.
/// </summary>
public static class TokenSampler
{
    /// <summary>Chooses a token id from <paramref name="logits"/> <c>(V)</c>, drawing randomness only from <paramref name="generator"/>.</summary>
    public static int Sample(Tensor logits, GenerationOptions options, Generator generator)
    {
        using var scope = NewDisposeScope();
        if (options.Temperature == 0)
            return (int)logits.argmax().item<long>();
        var scaled = logits.to_type(ScalarType.Float32) / options.Temperature;
        if (options.TopK is { } k) scaled = TopK(scaled, k);
        if (options.TopP is { } p) scaled = TopP(scaled, p);
        var probabilities = scaled.softmax(-1);
        return (int)probabilities.multinomial(1, generator: generator).item<long>();
    }

    /// <summary>Keeps the <paramref name="k"/> largest logits of <c>(V)</c> and sets the rest to −∞ (all kept when k ≥ V).</summary>
    public static Tensor TopK(Tensor logits, int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (k >= logits.shape[^1]) return logits.clone();
        var (values, indices) = logits.topk(k);
        return full_like(logits, double.NegativeInfinity).scatter(-1, indices, values);
    }

    /// <summary>
    /// Keeps the smallest set of most likely tokens whose probabilities sum to at least <paramref name="p"/> and sets
    /// the rest of <c>(V)</c> to −∞; the most likely token always stays.
    /// </summary>
    public static Tensor TopP(Tensor logits, double p)
    {
        if (double.IsNaN(p) || p <= 0 || p > 1) throw new ArgumentOutOfRangeException(nameof(p), p, "p must be in (0, 1].");
        var (sorted, indices) = logits.sort(-1, descending: true);
        var probabilities = sorted.softmax(-1);
        // A token goes when the more likely ones before it already reach p.
        var massBefore = probabilities.cumsum(-1) - probabilities;
        var filtered = sorted.masked_fill(massBefore >= p, double.NegativeInfinity);
        return full_like(logits, double.NegativeInfinity).scatter(-1, indices, filtered);
    }
}
