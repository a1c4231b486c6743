namespace Orchestrator.Telemetry;

/// <summary>
/// Label names shared by every series. The job label is <c>job_id</c>, not <c>job</c>: Prometheus owns <c>job</c>
/// (the scrape job) and would rename ours to <c>exported_job</c> on ingestion.
/// </summary>
public static class MetricLabels
{
    public const string JobId = "job_id";
    public const string Rank = "rank";
    public const string Worker = "worker";
    public const string State = "state";
    public const string Phase = "phase";

    /// <summary>The gradient compression in force: none, bf16 or powersgd-rN.</summary>
    public const string Compression = "compression";
}
