using System.Net;
using Microsoft.Extensions.Options;
using Orchestrator.Cluster.Hosting.Storage;

namespace Orchestrator.Cluster.Hosting;

/// <summary>
/// Where a coordinator listens and which cluster it joins, bound from <c>Orchestrator:Coordinator</c>
/// (environment: <c>Orchestrator__Coordinator__ControlPort</c>, ...). Without <see cref="AdvertisedAddress"/>
/// everything binds to loopback: a single-machine cluster nobody else can reach.
/// </summary>
public sealed class CoordinatorOptions
{
    public const string SectionName = "Orchestrator:Coordinator";

    /// <summary>Workers and coordinators must use the same ids to see each other.</summary>
    public string ClusterId { get; set; } = "orchestrator";

    public string ServiceId { get; set; } = "orchestrator";

    /// <summary>
    /// The IP address other machines reach this coordinator on (e.g. 10.0.0.5). When set, every port listens on
    /// all interfaces and the silo advertises this address to the cluster.
    /// </summary>
    public string? AdvertisedAddress { get; set; }

    /// <summary>Silo-to-silo port (coordinators on several machines talk over it).</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Orleans gateway port: what workers pass to <c>CoordinatorConnection.ConnectAsync</c> as HOST:PORT.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>gRPC control API (HTTP/2 without TLS): what <c>orchestrator submit/status/cancel</c> connect to.</summary>
    public int ControlPort { get; set; } = 5050;

    /// <summary>HTTP/1.1 port serving <c>/healthz</c> for probes that cannot speak HTTP/2 without TLS.</summary>
    public int HealthPort { get; set; } = 5051;

    /// <summary>How often WatchJob looks for changes in a job.</summary>
    public TimeSpan WatchPollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Where grain state lives when Redis is not configured: <see cref="GrainStateStore.File"/> (the default) keeps
    /// jobs, workers and checkpoint catalogs across restarts; <see cref="GrainStateStore.Memory"/> forgets them (tests).
    /// </summary>
    public GrainStateStore StateStore { get; set; } = GrainStateStore.File;

    /// <summary>
    /// Directory of the file state store (<c>--state-dir</c>). Null means <see cref="DefaultStateDirectory"/>:
    /// <c>$XDG_STATE_HOME/orchestrator/CLUSTERID</c>, or <c>~/.local/state/orchestrator/CLUSTERID</c>.
    /// </summary>
    public string? StateDirectory { get; set; }

    /// <summary><see cref="StateDirectory"/> when set, otherwise the per-user default for <see cref="ClusterId"/>.</summary>
    public string EffectiveStateDirectory => StateDirectory ?? DefaultStateDirectory(ClusterId);

    /// <summary>The per-user state directory of a cluster (one per cluster id, so two local clusters never share state).</summary>
    public static string DefaultStateDirectory(string clusterId)
    {
        var stateHome = Environment.GetEnvironmentVariable("XDG_STATE_HOME");
        if (string.IsNullOrWhiteSpace(stateHome))
        {
            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            stateHome = string.IsNullOrEmpty(home) ? Path.GetFullPath(".state") : Path.Combine(home, ".local", "state");
        }

        return Path.Combine(stateHome, "orchestrator", clusterId);
    }

    /// <summary>The parsed <see cref="AdvertisedAddress"/>, or loopback when none is set.</summary>
    public IPAddress EndpointAddress => AdvertisedAddress is null ? IPAddress.Loopback : IPAddress.Parse(AdvertisedAddress);

    /// <summary>Where Kestrel binds: all interfaces when the coordinator is advertised to other machines.</summary>
    public IPAddress BindAddress => AdvertisedAddress is null ? IPAddress.Loopback : IPAddress.Any;
}

/// <summary>Refuses unusable <see cref="CoordinatorOptions"/> at start, naming the configuration key.</summary>
public sealed class CoordinatorOptionsValidator : IValidateOptions<CoordinatorOptions>
{
    public ValidateOptionsResult Validate(string? name, CoordinatorOptions options)
    {
        const string section = CoordinatorOptions.SectionName;
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ClusterId))
        {
            errors.Add($"{section}:ClusterId is empty: give the cluster a name (the same on every coordinator and worker)");
        }

        if (string.IsNullOrWhiteSpace(options.ServiceId))
        {
            errors.Add($"{section}:ServiceId is empty: give the service a name (the same on every coordinator and worker)");
        }

        if (options.AdvertisedAddress is { } address && !IPAddress.TryParse(address, out _))
        {
            errors.Add($"{section}:AdvertisedAddress '{address}' is not an IP address: pass the IP other machines reach this one on, e.g. 10.0.0.5");
        }

        var ports = new (string Key, int Port)[]
        {
            ("SiloPort", options.SiloPort), ("GatewayPort", options.GatewayPort), ("ControlPort", options.ControlPort), ("HealthPort", options.HealthPort),
        };
        foreach (var (key, port) in ports.Where(p => p.Port is < 1 or > 65535))
        {
            errors.Add($"{section}:{key} is {port}: use a TCP port between 1 and 65535");
        }

        foreach (var clash in ports.GroupBy(p => p.Port).Where(g => g.Count() > 1))
        {
            errors.Add($"{section}: {string.Join(" and ", clash.Select(p => p.Key))} share port {clash.Key}: give each its own port");
        }

        if (options.StateDirectory is { } directory && string.IsNullOrWhiteSpace(directory))
        {
            errors.Add($"{section}:StateDirectory is blank: pass a directory for the coordinator's state, or leave it out for the default");
        }

        if (!Enum.IsDefined(options.StateStore))
        {
            errors.Add($"{section}:StateStore is {options.StateStore}: use File (durable, the default) or Memory");
        }

        if (options.WatchPollInterval <= TimeSpan.Zero)
        {
            errors.Add($"{section}:WatchPollInterval is {options.WatchPollInterval}: it must be positive, e.g. 00:00:00.250");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
