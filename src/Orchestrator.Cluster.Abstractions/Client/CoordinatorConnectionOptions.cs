namespace Orchestrator.Cluster.Client;

/// <summary>How a worker (or any other process) reaches the cluster's grains.</summary>
public sealed record CoordinatorConnectionOptions
{
    /// <summary>"HOST:PORT[,HOST:PORT...]": the Orleans gateway port of one or more coordinators.</summary>
    public string Gateways { get; init; } = "127.0.0.1:30000";

    /// <summary>Must match the coordinators' <c>Orchestrator:Coordinator:ClusterId</c>.</summary>
    public string ClusterId { get; init; } = "orchestrator";

    /// <summary>Must match the coordinators' <c>Orchestrator:Coordinator:ServiceId</c>.</summary>
    public string ServiceId { get; init; } = "orchestrator";

    /// <summary>How long to keep retrying before giving up, so workers may start before their coordinator.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Mutual TLS to the gateway; must be set exactly when the coordinators set <c>Orchestrator:Security:Tls</c>.</summary>
    public Common.Security.MutualTlsOptions? Tls { get; init; }
}
