using System.Diagnostics;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace StepProfile;

/// <summary>
/// The TorchSharp half of op_costs.py: forward + backward of each kind of op in a baby-GPT step at the step's shapes,
/// same names, plus the fused scaled_dot_product_attention our model uses. Median of single calls, in microseconds.
/// </summary>
internal static class OpCosts
{
    private const int B = 12, T = 64, C = 128, H = 4, V = 65, N = B * T;

    public static void Run(int threads, int reps)
    {
        set_num_threads(threads);
        manual_seed(0);
        using var scope = NewDisposeScope();
        var q = Leaf(B, H, T, C / H);
        var k = Leaf(B, H, T, C / H);
        var v = Leaf(B, H, T, C / H);
        var mask = ones(T, T).tril().view(1, 1, T, T);
        var xLn = Leaf(N, C);
        var ln = nn.LayerNorm(C);
        var xGelu = Leaf(N, 4 * C);
        var logits = Leaf(N, V);
        var targets = randint(0, V, [N]);
        var wte = nn.Embedding(V, C);
        var idx = randint(0, V, [B, T]);
        var headsIn = Leaf(B, T, 3 * C);

        var costs = new Dictionary<string, double>
        {
            ["linear c_attn 128->384"] = Timed(Linear(C, 3 * C), reps),
            ["linear attn.c_proj 128->128"] = Timed(Linear(C, C), reps),
            ["linear c_fc 128->512"] = Timed(Linear(C, 4 * C), reps),
            ["linear mlp.c_proj 512->128"] = Timed(Linear(4 * C, C), reps),
            ["linear lm_head 128->65"] = Timed(Linear(C, V, bias: false), reps),
            ["attention explicit (matmul, mask, softmax, matmul)"] = Timed(() =>
            {
                var att = q.matmul(k.transpose(-2, -1)) * (1.0 / Math.Sqrt(C / H));
                att = att.masked_fill(mask.eq(0), double.NegativeInfinity);
                return nn.functional.softmax(att, -1).matmul(v);
            }, reps),
            ["attention fused (scaled_dot_product_attention, causal)"] = Timed(() =>
                nn.functional.scaled_dot_product_attention(q, k, v, null, 0.0, is_casual: true), reps),
            ["split heads + merge (view, transpose, contiguous)"] = Timed(() =>
                headsIn.split(C, dim: 2)[0].view(B, T, H, C / H).transpose(1, 2).transpose(1, 2).contiguous().view(B, T, C), reps),
            ["layer_norm"] = Timed(() => ln.forward(xLn), reps),
            ["gelu"] = Timed(() => nn.functional.gelu(xGelu), reps),
            ["cross_entropy"] = Timed(() => nn.functional.cross_entropy(logits, targets), reps),
            ["embedding"] = Timed(() => wte.forward(idx), reps),
        };
        Console.WriteLine(JsonSerializer.Serialize(new { framework = "torchsharp (libtorch 2.10)", threads, reps, median_us = costs }));
    }

    private static Tensor Leaf(params long[] shape) => randn(shape).requires_grad_(true);

    private static Func<Tensor> Linear(int inputs, int outputs, bool bias = true)
    {
        var x = Leaf(N, inputs);
        var layer = nn.Linear(inputs, outputs, hasBias: bias);
        return () => layer.forward(x);
    }

    private static double Timed(Func<Tensor> forward, int reps)
    {
        Tensor grad;
        using (var first = forward()) grad = randn_like(first);
        var samples = new List<double>(reps);
        for (var i = 0; i < reps + 5; i++)
        {
            using var step = NewDisposeScope();
            var start = Stopwatch.GetTimestamp();
            forward().backward([grad]);
            if (i >= 5) samples.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
        }
        samples.Sort();
        return Math.Round(samples[samples.Count / 2], 1);
    }
}
