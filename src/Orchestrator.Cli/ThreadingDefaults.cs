using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Orchestrator.Cli;

/// <summary>
/// How libtorch's OpenMP threads wait between parallel regions, chosen before libtorch loads. libgomp's default lets an
/// idle thread spin (300,000 iterations) before it sleeps: next to one busy process on a shared node, the spinning
/// threads take the cores the working ones need and training fell to 0.32 of its quiet speed, where passive waiting
/// kept 0.76 (bench/contention, bench/RESULTS.md "Throughput on a shared machine"); spinning also burns a container's
/// CPU quota. libgomp reads its settings once, from the native environment, when it is loaded, so they are set here,
/// at module load, before any command runs; .NET's own copy of the environment is set too, so the worker processes
/// `train --workers N` starts inherit them. A user's own <c>OMP_WAIT_POLICY</c> or <c>GOMP_SPINCOUNT</c> wins.
/// </summary>
internal static class ThreadingDefaults
{
    public const string WaitPolicyVariable = "OMP_WAIT_POLICY";
    public const string SpinCountVariable = "GOMP_SPINCOUNT";
    public const string WaitPolicy = "PASSIVE";

    /// <summary>The variables to set given the current environment: none when the user chose a policy.</summary>
    public static IReadOnlyDictionary<string, string> For(Func<string, string?> environment) =>
        environment(WaitPolicyVariable) is not null || environment(SpinCountVariable) is not null
            ? new Dictionary<string, string>()
            : new Dictionary<string, string> { [WaitPolicyVariable] = WaitPolicy };

    [ModuleInitializer]
    internal static void Apply()
    {
        if (!OperatingSystem.IsLinux()) return;
        foreach (var (name, value) in For(Environment.GetEnvironmentVariable))
        {
            Environment.SetEnvironmentVariable(name, value);
            // .NET keeps its own copy of the environment on Unix; libgomp calls getenv on the process's.
            if (setenv(name, value, overwrite: 0) != 0)
                throw new InvalidOperationException($"could not set {name} for libtorch's OpenMP threads (errno {Marshal.GetLastPInvokeError()})");
        }
    }

    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false)]
    private static extern int setenv(string name, string value, int overwrite);
}
