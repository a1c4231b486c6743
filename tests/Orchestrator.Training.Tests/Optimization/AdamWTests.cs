using Orchestrator.Training.Optimization;
using TorchSharp;
using Parameter = TorchSharp.Modules.Parameter;
using static TorchSharp.torch;

namespace Orchestrator.Training.Tests.Optimization;

public sealed class AdamWTests
{
    private const double Lr = 0.1, Beta1 = 0.9, Beta2 = 0.999, Eps = 1e-8, WeightDecay = 0.1;

    private static readonly float[] MatrixStart = [0.5f, -1.0f, 2.0f, 0.25f];
    private static readonly float[] VectorStart = [1.5f, -0.5f];
    private static readonly float[][] MatrixGrads = [[0.3f, -0.2f, 0.05f, 1.0f], [-0.1f, 0.4f, 0.2f, -0.6f]];
    private static readonly float[][] VectorGrads = [[0.7f, -0.01f], [0.2f, 0.3f]];

    [Fact]
    public void Two_steps_equal_the_hand_computed_update_and_decay_skips_vectors()
    {
        var matrix = new Parameter(tensor(MatrixStart).reshape(2, 2));
        var vector = new Parameter(tensor(VectorStart));
        using var optimizer = new AdamW([("w", matrix), ("b", vector)], Beta1, Beta2, Eps, WeightDecay);
        for (var step = 0; step < 2; step++)
        {
            matrix.grad = tensor(MatrixGrads[step]).reshape(2, 2);
            vector.grad = tensor(VectorGrads[step]);
            optimizer.Step(Lr);
        }

        AssertClose(HandAdamW(MatrixStart, MatrixGrads, decay: true), matrix.detach().reshape(-1).data<float>().ToArray());
        AssertClose(HandAdamW(VectorStart, VectorGrads, decay: false), vector.detach().data<float>().ToArray());
        Assert.Equal(["w"], optimizer.DecayedParameterNames);
        Assert.Equal(2, optimizer.StepCount);
    }

    [Fact]
    public void Gradient_scale_equals_stepping_on_scaled_gradients()
    {
        var scaled = new Parameter(tensor(MatrixStart).reshape(2, 2));
        var folded = new Parameter(tensor(MatrixStart).reshape(2, 2));
        using var first = new AdamW([("w", scaled)], Beta1, Beta2, Eps, WeightDecay);
        using var second = new AdamW([("w", folded)], Beta1, Beta2, Eps, WeightDecay);
        for (var step = 0; step < 2; step++)
        {
            scaled.grad = tensor(MatrixGrads[step]).reshape(2, 2) * 0.25;
            first.Step(Lr);
            folded.grad = tensor(MatrixGrads[step]).reshape(2, 2);
            second.Step(Lr, gradientScale: 0.25);
        }
        AssertClose(scaled.detach().reshape(-1).data<float>().ToArray(), folded.detach().reshape(-1).data<float>().ToArray());
    }

    [Fact]
    public void Restored_moments_continue_identically()
    {
        var original = new Parameter(tensor(MatrixStart).reshape(2, 2));
        var restored = new Parameter(tensor(MatrixStart).reshape(2, 2));
        using var first = new AdamW([("w", original)], Beta1, Beta2, Eps, WeightDecay);
        original.grad = tensor(MatrixGrads[0]).reshape(2, 2);
        first.Step(Lr);
        using (no_grad()) restored.copy_(original);

        using var second = new AdamW([("w", restored)], Beta1, Beta2, Eps, WeightDecay);
        using (NewDisposeScope()) second.Restore(first.MomentsToCpu(), first.StepCount, "test");
        original.grad = tensor(MatrixGrads[1]).reshape(2, 2);
        restored.grad = tensor(MatrixGrads[1]).reshape(2, 2);
        first.Step(Lr);
        second.Step(Lr);
        Assert.Equal(original.detach().reshape(-1).data<float>().ToArray(), restored.detach().reshape(-1).data<float>().ToArray());
    }

    /// <summary>AdamW in plain double arithmetic, element by element (Loshchilov &amp; Hutter, with PyTorch's bias corrections).</summary>
    private static double[] HandAdamW(float[] start, float[][] grads, bool decay)
    {
        var p = start.Select(x => (double)x).ToArray();
        var m = new double[p.Length];
        var v = new double[p.Length];
        for (var t = 1; t <= grads.Length; t++)
        {
            for (var i = 0; i < p.Length; i++)
            {
                double g = grads[t - 1][i];
                if (decay) p[i] *= 1 - Lr * WeightDecay;
                m[i] = Beta1 * m[i] + (1 - Beta1) * g;
                v[i] = Beta2 * v[i] + (1 - Beta2) * g * g;
                var mHat = m[i] / (1 - Math.Pow(Beta1, t));
                var vHat = v[i] / (1 - Math.Pow(Beta2, t));
                p[i] -= Lr * mHat / (Math.Sqrt(vHat) + Eps);
            }
        }
        return p;
    }

    private static void AssertClose(IReadOnlyList<double> expected, IReadOnlyList<float> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++) Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-5, $"element {i}: expected {expected[i]}, got {actual[i]}");
    }

    private static void AssertClose(IReadOnlyList<float> expected, IReadOnlyList<float> actual) =>
        AssertClose(expected.Select(x => (double)x).ToArray(), actual);
}
