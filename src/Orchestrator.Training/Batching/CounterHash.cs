namespace Orchestrator.Training.Batching;

/// <summary>
/// A counter-based random source: every draw is a hash of (seed, stream, counters) with the SplitMix64 finaliser,
/// so the value for step 7, sample 3 is the same whether one worker or eight draw it, and after a resume —
/// no generator state to save or advance.
/// </summary>
public static class CounterHash
{
    private const ulong Golden = 0x9E3779B97F4A7C15UL;

    /// <summary>SplitMix64's output function applied to <c>z + golden</c>.</summary>
    public static ulong Mix(ulong z)
    {
        z += Golden;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public static ulong Hash(ulong seed, ulong stream, ulong first, ulong second) =>
        Mix(Mix(Mix(Mix(seed) ^ stream) ^ first) ^ second);

    /// <summary>A uniform integer in [0, <paramref name="range"/>) from a 64-bit hash (Lemire's multiply-shift).</summary>
    public static long Below(ulong hash, long range)
    {
        if (range <= 0) throw new ArgumentOutOfRangeException(nameof(range), range, "the range must be positive");
        return (long)Math.BigMul(hash, (ulong)range, out _);
    }
}
