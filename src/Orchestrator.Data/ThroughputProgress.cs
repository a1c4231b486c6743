using System.Diagnostics;

namespace Orchestrator.Data;

/// <summary>
/// Turns a stream of "bytes done so far" reports (from parallel workers, in any order) into at most one progress line
/// per second with MB/s, so a long encode shows it is alive without flooding the console.
/// </summary>
internal sealed class ThroughputProgress(string stage, long totalBytes, IProgress<string>? sink) : IProgress<long>
{
    private static readonly TimeSpan ReportEvery = TimeSpan.FromSeconds(1);
    private readonly Stopwatch _watch = Stopwatch.StartNew();
    private readonly Lock _gate = new();
    private long _bytesDone;
    private TimeSpan _lastReport;

    public TimeSpan Elapsed => _watch.Elapsed;

    public void Report(long value)
    {
        if (sink is null)
        {
            return;
        }
        lock (_gate)
        {
            _bytesDone = Math.Max(_bytesDone, value);
            if (_watch.Elapsed - _lastReport < ReportEvery)
            {
                return;
            }
            _lastReport = _watch.Elapsed;
            var percent = totalBytes > 0 ? 100.0 * _bytesDone / totalBytes : 100.0;
            sink.Report($"{stage}: {percent:0}% of {ProgressText.Megabytes(totalBytes)} ({ProgressText.Rate(_bytesDone, _watch.Elapsed)})");
        }
    }
}
