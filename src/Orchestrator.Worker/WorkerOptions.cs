using Microsoft.Extensions.Options;

namespace Orchestrator.Worker;

/// <summary>
/// How a worker process joins a cluster, bound from the <c>Orchestrator:Worker</c> configuration section
/// (environment: <c>Orchestrator__Worker__Device</c>, ...); the <c>worker</c> CLI flags, which have the same names,
/// win over it. Checked by <see cref="WorkerOptionsValidator"/> before the worker starts.
/// </summary>
public sealed record WorkerOptions
{
    public const string SectionName = "Orchestrator:Worker";

    /// <summary>The coordinator's Orleans gateway(s), <c>HOST:PORT[,HOST:PORT...]</c>.</summary>
    public string Coordinator { get; init; } = "127.0.0.1:30000";

    /// <summary>Stable identity; a restarted process with the same id replaces its previous incarnation.</summary>
    public string WorkerId { get; init; } = $"{Environment.MachineName}-{Environment.ProcessId}";

    /// <summary><c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>: one worker per GPU.</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>libtorch threads for this worker (0 = one per processor); overrides the job's <c>threads</c>.</summary>
    public int Threads { get; init; }

    /// <summary>Address peers use to reach this worker's collective service (its gRPC endpoint).</summary>
    public string AdvertisedHost { get; init; } = "127.0.0.1";

    /// <summary>Port of the collective gRPC service; 0 picks a free one.</summary>
    public int CollectivePort { get; init; }

    /// <summary>Exit after the first job this worker takes part in ends (used by <c>train --workers N</c>).</summary>
    public bool ExitAfterJob { get; init; }

    /// <summary>Port of this worker's Prometheus <c>/metrics</c> endpoint; null serves none, 0 picks a free one.</summary>
    public int? MetricsPort { get; init; }

    /// <summary>Peak FLOP/s of this worker's device, for model FLOPs utilisation (<c>--peak-tflops</c> × 10¹²).</summary>
    public double? PeakFlops { get; init; }

    /// <summary>
    /// The cluster's shared secret (<c>--cluster-token</c> / <c>ORCHESTRATOR_CLUSTER_TOKEN</c>): required of every
    /// caller of this worker's collective service and sent to its ring neighbours. Null leaves the service open.
    /// </summary>
    public string? ClusterToken { get; init; }

    /// <summary>
    /// Mutual TLS (<c>--tls-cert/--tls-key/--tls-ca</c>): for this worker's collective service, its ring channels and its
    /// connection to the coordinator's gateway. Null or empty paths leave all three on cleartext HTTP/2.
    /// </summary>
    public Common.Security.MutualTlsOptions? Tls { get; init; }

    /// <summary>How often the worker heartbeats and asks for its directive.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// How long the worker rides out a coordinator that does not answer (restart, network cut) before it exits with an
    /// error. Training and the ring go on meanwhile; reports are retried until delivered.
    /// </summary>
    public TimeSpan CoordinatorLossTimeout { get; init; } = TimeSpan.FromMinutes(5);
}

/// <summary>Refuses unusable <see cref="WorkerOptions"/> at start, naming the CLI flag and the configuration key of each.</summary>
public sealed class WorkerOptionsValidator : IValidateOptions<WorkerOptions>
{
    public ValidateOptionsResult Validate(string? name, WorkerOptions options)
    {
        var errors = new List<string>();
        void Check(bool ok, string flag, string key, string problem)
        {
            if (!ok) errors.Add($"worker: {flag} ({WorkerOptions.SectionName}:{key}) {problem}");
        }

        Check(!string.IsNullOrWhiteSpace(options.Coordinator), "--coordinator", nameof(WorkerOptions.Coordinator), "is required: pass the coordinator's gateway HOST:PORT");
        Check(!string.IsNullOrWhiteSpace(options.WorkerId), "--worker-id", nameof(WorkerOptions.WorkerId), "must not be empty");
        Check(options.Threads >= 0, "--threads", nameof(WorkerOptions.Threads), $"must be zero (all cores) or positive, got {options.Threads}");
        Check(options.CollectivePort is >= 0 and <= 65535, "--port", nameof(WorkerOptions.CollectivePort), $"must be in 0..65535, got {options.CollectivePort}");
        Check(options.MetricsPort is null or (>= 0 and <= 65535), "--metrics-port", nameof(WorkerOptions.MetricsPort), $"must be in 0..65535, got {options.MetricsPort}");
        Check(options.PeakFlops is null || (options.PeakFlops > 0 && double.IsFinite(options.PeakFlops.Value)), "--peak-tflops", nameof(WorkerOptions.PeakFlops),
            $"must be positive, got {options.PeakFlops / 1e12} TFLOP/s");
        Check(options.HeartbeatInterval > TimeSpan.Zero, "the heartbeat interval", nameof(WorkerOptions.HeartbeatInterval), $"must be positive, got {options.HeartbeatInterval}");
        Check(options.CoordinatorLossTimeout > options.HeartbeatInterval, "--coordinator-loss-timeout", nameof(WorkerOptions.CoordinatorLossTimeout),
            $"must exceed the heartbeat interval ({options.HeartbeatInterval.TotalSeconds} s), got {options.CoordinatorLossTimeout.TotalSeconds} s");
        try
        {
            Common.Security.ClusterToken.Validate(options.ClusterToken, $"worker: --cluster-token ({WorkerOptions.SectionName}:{nameof(WorkerOptions.ClusterToken)})");
            options.Tls?.Validate($"worker: {WorkerOptions.SectionName}:{nameof(WorkerOptions.Tls)}");
        }
        catch (Exception e) when (e is ArgumentException or FileNotFoundException)
        {
            errors.Add(e.Message);
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
