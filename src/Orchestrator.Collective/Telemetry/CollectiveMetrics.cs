using System.Diagnostics.Metrics;

namespace Orchestrator.Collective.Telemetry;

/// <summary>
/// The process-wide instruments of the collective layer, on meter <see cref="MeterName"/>: a telemetry setup only
/// needs <c>AddMeter(CollectiveMetrics.MeterName)</c> to export bytes moved and time spent in collectives.
/// </summary>
public sealed class CollectiveMetrics
{
    public const string MeterName = "Orchestrator.Collective";

    private readonly Counter<long> _payloadBytesSent;
    private readonly Counter<long> _payloadBytesReceived;
    private readonly Histogram<double> _operationDuration;

    public CollectiveMetrics(IMeterFactory? meterFactory = null)
    {
        var meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _payloadBytesSent = meter.CreateCounter<long>("orchestrator.collective.payload.sent", "By",
            "Element bytes sent to the next rank of the ring.");
        _payloadBytesReceived = meter.CreateCounter<long>("orchestrator.collective.payload.received", "By",
            "Element bytes received from the previous rank of the ring.");
        _operationDuration = meter.CreateHistogram<double>("orchestrator.collective.operation.duration", "s",
            "Wall time of one collective operation, from the call to the result.");
    }

    internal void RecordSent(int payloadBytes) => _payloadBytesSent.Add(payloadBytes);

    internal void RecordReceived(int payloadBytes) => _payloadBytesReceived.Add(payloadBytes);

    internal void RecordOperation(string kind, TimeSpan elapsed, bool succeeded) =>
        _operationDuration.Record(elapsed.TotalSeconds,
            new KeyValuePair<string, object?>("kind", kind),
            new KeyValuePair<string, object?>("outcome", succeeded ? "ok" : "failed"));
}
