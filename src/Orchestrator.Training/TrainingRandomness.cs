using Orchestrator.Training.Batching;
using static TorchSharp.torch;

namespace Orchestrator.Training;

/// <summary>
/// Where a run's randomness comes from. Initial weights: libtorch's generator seeded with <c>seed</c>. Dropout:
/// the generator reseeded at the start of every step from (seed, step, rank), which makes a resumed run exact on
/// CUDA too, where TorchSharp exposes no generator state. Batches: <see cref="BatchPlan"/>'s counter-based hash.
/// The CPU generator state is also saved in checkpoints and restored, for anything drawing outside a step.
/// </summary>
public static class TrainingRandomness
{
    private const ulong DropoutStream = 0x6472_6F70_6F75_7401UL;

    public static void SeedForInitialisation(long seed) => Reseed(seed);

    public static void SeedForStep(long seed, long step, int rank) =>
        Reseed((long)(CounterHash.Hash(unchecked((ulong)seed), DropoutStream, (ulong)step, (ulong)rank) >> 1));

    /// <summary>libtorch's CPU generator state as base64.</summary>
    public static string CaptureState()
    {
        using var state = random.get_rng_state();
        return Convert.ToBase64String(state.bytes);
    }

    public static void RestoreState(string base64)
    {
        if (base64.Length == 0) return;
        using var state = tensor(Convert.FromBase64String(base64), dtype: uint8);
        random.set_rng_state(state);
    }

    private static readonly bool HasCuda = cuda.is_available();

    private static void Reseed(long seed)
    {
        // TorchSharp's manual_seed seeds the CPU generator (the returned handle is a reference we do not keep);
        // CUDA's generators, which drive dropout on the GPU, are seeded separately.
        using var generator = manual_seed(seed);
        if (HasCuda) cuda.manual_seed_all(seed);
    }
}
