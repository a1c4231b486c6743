using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;

namespace Orchestrator.Telemetry;

/// <summary>
/// Memory of this process (meter <see cref="OrchestratorMeters.Process"/>), read at each scrape. libtorch allocates
/// outside the GC, so a leak of tensors shows as native memory growing while the managed heap stays flat.
/// Native is resident memory minus the GC's committed bytes: an estimate that also counts code and thread stacks.
/// </summary>
public sealed class ProcessMemoryMetrics : IHostedService
{
    public ProcessMemoryMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(OrchestratorMeters.Process);
        meter.CreateObservableGauge("orchestrator.process.managed_memory", () => GC.GetGCMemoryInfo().TotalCommittedBytes, "By",
            "Bytes committed by the .NET garbage collector.");
        meter.CreateObservableGauge("orchestrator.process.managed_heap", () => GC.GetTotalMemory(false), "By",
            "Bytes of live and not yet collected objects on the managed heap.");
        meter.CreateObservableGauge("orchestrator.process.resident_memory", () => Environment.WorkingSet, "By",
            "Resident set size of the process.");
        meter.CreateObservableGauge("orchestrator.process.native_memory", NativeBytes, "By",
            "Resident memory not committed by the GC (libtorch tensors, native libraries, stacks): an estimate.");
    }

    private static long NativeBytes() => Math.Max(0, Environment.WorkingSet - GC.GetGCMemoryInfo().TotalCommittedBytes);

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
