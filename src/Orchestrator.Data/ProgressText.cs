using System.Diagnostics;

namespace Orchestrator.Data;

/// <summary>Formats sizes and rates the same way in every progress line.</summary>
internal static class ProgressText
{
    public static string Megabytes(long bytes) => $"{bytes / 1e6:0.0} MB";

    public static string Rate(long bytes, TimeSpan elapsed) =>
        elapsed.TotalSeconds <= 0 ? "-- MB/s" : $"{bytes / 1e6 / elapsed.TotalSeconds:0.0} MB/s";

    public static string Seconds(TimeSpan elapsed) => $"{elapsed.TotalSeconds:0.0} s";

    /// <summary>"1.1 MB in 0.3 s (3.7 MB/s)".</summary>
    public static string Throughput(long bytes, Stopwatch watch) =>
        $"{Megabytes(bytes)} in {Seconds(watch.Elapsed)} ({Rate(bytes, watch.Elapsed)})";
}
