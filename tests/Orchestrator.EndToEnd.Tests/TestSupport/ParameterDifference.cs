using System.Runtime.InteropServices;

namespace Orchestrator.EndToEnd.Tests.TestSupport;

/// <summary>How far apart two sets of model parameters are, tensor by tensor.</summary>
public sealed record TensorDifference(string Name, double MaxAbsDifference, double MaxAbsValue)
{
    public double Relative => MaxAbsValue > 0 ? MaxAbsDifference / MaxAbsValue : MaxAbsDifference;

    public override string ToString() => $"{Name}: max |a-b| {MaxAbsDifference:E3}, max |a| {MaxAbsValue:E3}, relative {Relative:E3}";
}

public static class ParameterDifference
{
    /// <summary>Per-tensor differences; both sides must hold the same names and shapes.</summary>
    public static IReadOnlyList<TensorDifference> Compare(IReadOnlyDictionary<string, StoredTensor> a, IReadOnlyDictionary<string, StoredTensor> b)
    {
        Assert.Equal(a.Keys.Order(StringComparer.Ordinal), b.Keys.Order(StringComparer.Ordinal));
        return a.Keys.Order(StringComparer.Ordinal).Select(name =>
        {
            Assert.Equal(a[name].Shape, b[name].Shape);
            double maxDiff = 0, maxAbs = 0;
            for (var i = 0; i < a[name].Values.Length; i++)
            {
                maxDiff = Math.Max(maxDiff, Math.Abs((double)a[name].Values[i] - b[name].Values[i]));
                maxAbs = Math.Max(maxAbs, Math.Abs((double)a[name].Values[i]));
            }
            return new TensorDifference(name, maxDiff, maxAbs);
        }).ToArray();
    }

    /// <summary>True when every value of every tensor is bit-for-bit the same.</summary>
    public static bool BitwiseEqual(StoredTensor a, StoredTensor b) =>
        MemoryMarshal.AsBytes(a.Values.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(b.Values.AsSpan()));
}
