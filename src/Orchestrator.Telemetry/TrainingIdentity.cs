namespace Orchestrator.Telemetry;

/// <summary>Who a training series belongs to: the labels <c>job_id</c>, <c>rank</c> and <c>worker</c>.</summary>
public sealed record TrainingIdentity(string JobId, int Rank, string WorkerId)
{
    internal KeyValuePair<string, object?>[] Tags { get; } =
    [
        new(MetricLabels.JobId, JobId),
        new(MetricLabels.Rank, Rank.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new(MetricLabels.Worker, WorkerId),
    ];

    internal KeyValuePair<string, object?>[] WithPhase(string phase) => [.. Tags, new(MetricLabels.Phase, phase)];

    internal KeyValuePair<string, object?>[] WithCompression(string compression) => [.. Tags, new(MetricLabels.Compression, compression)];
}
