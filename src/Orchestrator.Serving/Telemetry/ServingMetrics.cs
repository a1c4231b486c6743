using System.Diagnostics.Metrics;

namespace Orchestrator.Serving.Telemetry;

/// <summary>
/// The server's instruments, in one place so dashboards and tests find every name here. The Prometheus exporter turns
/// the dotted names into <c>orchestrator_serving_*</c>, appending <c>_seconds</c> for durations and <c>_total</c> for counters.
/// </summary>
public sealed class ServingMetrics : IDisposable
{
    public const string MeterName = "Orchestrator.Serving";

    /// <summary>
    /// Bucket bounds (seconds) of the latency histograms, from a millisecond to two minutes: OpenTelemetry's default
    /// bounds (0, 5, 10, 25 ... 10000) suit milliseconds and would put every sample of a responsive server in le="5".
    /// </summary>
    public static readonly IReadOnlyList<double> LatencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

    /// <summary>Bucket bounds of the decode batch size: powers of two up to the largest batch anyone configures.</summary>
    public static readonly IReadOnlyList<long> BatchSizeBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256];

    private readonly Meter _meter;
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _requestDuration;
    private readonly Histogram<double> _timeToFirstToken;
    private readonly Counter<long> _generatedTokens;
    private readonly Histogram<double> _tokensPerSecond;
    private readonly Counter<long> _forwards;
    private readonly Histogram<long> _batchSize;

    public ServingMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _requests = _meter.CreateCounter<long>("orchestrator.serving.requests", description: "Completion requests answered, by protocol and outcome.");
        var seconds = new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets };
        _requestDuration = _meter.CreateHistogram("orchestrator.serving.request.duration", "s", "Time from receiving a completion request to its last byte.", tags: null, advice: seconds);
        _timeToFirstToken = _meter.CreateHistogram("orchestrator.serving.time_to_first_token", "s", "Time from enqueueing a request to its first generated token.", tags: null, advice: seconds);
        _generatedTokens = _meter.CreateCounter<long>("orchestrator.serving.generated_tokens", description: "Tokens generated over all choices; its rate is the server's tokens per second.");
        _tokensPerSecond = _meter.CreateHistogram<double>("orchestrator.serving.request.tokens_per_second", description: "Each finished choice's tokens divided by its decoding time.");
        _forwards = _meter.CreateCounter<long>("orchestrator.serving.forward_passes", description: "Batched model forwards, by phase (prefill or decode).");
        _batchSize = _meter.CreateHistogram("orchestrator.serving.decode_batch_size", unit: null, description: "Sequences advanced by each decode forward.", tags: null,
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = BatchSizeBuckets });
    }

    /// <summary>Reports the decoding loop's queue and batch on every scrape; called once by the loop that owns them.</summary>
    public void ObserveQueue(Func<int> waiting, Func<int> running)
    {
        _meter.CreateObservableGauge("orchestrator.serving.queue_depth", waiting, description: "Sequences waiting for a batch slot.");
        _meter.CreateObservableGauge("orchestrator.serving.running_sequences", running, description: "Sequences in the decoding batch.");
    }

    public void RequestFinished(string protocol, string outcome, double seconds)
    {
        var tags = new KeyValuePair<string, object?>[] { new("protocol", protocol), new("outcome", outcome) };
        _requests.Add(1, tags);
        _requestDuration.Record(seconds, tags);
    }

    public void FirstToken(double seconds) => _timeToFirstToken.Record(seconds);

    public void TokensGenerated(int count) => _generatedTokens.Add(count);

    public void ChoiceFinished(int tokens, double seconds)
    {
        if (seconds > 0) _tokensPerSecond.Record(tokens / seconds);
    }

    public void Forward(bool prefill, int rows)
    {
        _forwards.Add(1, new KeyValuePair<string, object?>("phase", prefill ? "prefill" : "decode"));
        if (!prefill) _batchSize.Record(rows);
    }

    public void Dispose() => _meter.Dispose();
}
