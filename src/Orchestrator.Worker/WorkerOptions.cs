namespace Orchestrator.Worker;

/// <summary>
/// How a worker process joins a cluster. The same names are used by the <c>worker</c> CLI flags, the
/// <c>Orchestrator:Worker</c> configuration section and the Helm values.
/// </summary>
public sealed record WorkerOptions
{
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

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Coordinator))
            throw new ArgumentException("worker: --coordinator HOST:PORT is required (the coordinator's gateway)");
        if (string.IsNullOrWhiteSpace(WorkerId))
            throw new ArgumentException("worker: --worker-id must not be empty");
        if (Threads < 0) throw new ArgumentException($"worker: --threads must be zero (all cores) or positive, got {Threads}");
        if (CollectivePort is < 0 or > 65535) throw new ArgumentException($"worker: --port must be in 0..65535, got {CollectivePort}");
        if (MetricsPort is < 0 or > 65535) throw new ArgumentException($"worker: --metrics-port must be in 0..65535, got {MetricsPort}");
        Common.Security.ClusterToken.Validate(ClusterToken, "worker: --cluster-token");
        Tls?.Validate("worker: tls");
        if (CoordinatorLossTimeout <= HeartbeatInterval)
            throw new ArgumentException($"worker: --coordinator-loss-timeout must exceed the heartbeat interval ({HeartbeatInterval.TotalSeconds} s), got {CoordinatorLossTimeout.TotalSeconds} s");
        if (PeakFlops is { } peak && !(peak > 0 && double.IsFinite(peak))) throw new ArgumentException($"worker: --peak-tflops must be positive, got {peak / 1e12}");
    }
}
