using Orchestrator.Models;
using TorchSharp;

namespace Orchestrator.Training.Tests.TestSupport;

/// <summary>A copy of a model's parameters as float arrays, for comparing two models after training.</summary>
internal static class ParameterSnapshot
{
    public static Dictionary<string, float[]> Of(LanguageModel model) =>
        model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().cpu().data<float>().ToArray());

    /// <summary>Largest absolute difference between matching parameters; the name sets must be equal.</summary>
    public static double MaxDifference(Dictionary<string, float[]> a, Dictionary<string, float[]> b)
    {
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        double max = 0;
        foreach (var (name, values) in a)
        {
            var other = b[name];
            Assert.Equal(values.Length, other.Length);
            for (var i = 0; i < values.Length; i++) max = Math.Max(max, Math.Abs((double)values[i] - other[i]));
        }
        return max;
    }

    /// <summary>Largest absolute difference divided by the largest absolute value of <paramref name="reference"/>.</summary>
    public static double MaxRelativeDifference(Dictionary<string, float[]> reference, Dictionary<string, float[]> other)
    {
        var scale = reference.Values.SelectMany(v => v).Max(v => Math.Abs((double)v));
        return MaxDifference(reference, other) / scale;
    }
}
