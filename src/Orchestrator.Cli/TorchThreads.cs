namespace Orchestrator.Cli;

/// <summary>Sets libtorch's intra-op threads explicitly (0 = one per processor), as every command that runs a model must.</summary>
internal static class TorchThreads
{
    public static void Set(int threads) => TorchSharp.torch.set_num_threads(threads > 0 ? threads : Environment.ProcessorCount);
}
