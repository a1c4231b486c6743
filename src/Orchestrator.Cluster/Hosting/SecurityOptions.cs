using Microsoft.Extensions.Options;
using Orchestrator.Common.Security;

namespace Orchestrator.Cluster.Hosting;

/// <summary>
/// Who may call the coordinator's control API, bound from <c>Orchestrator:Security</c> (also <c>--cluster-token</c>
/// and <c>ORCHESTRATOR_CLUSTER_TOKEN</c> on the command line). With <see cref="ClusterToken"/> set, every gRPC call
/// must carry it (see <see cref="Orchestrator.Common.Security.ClusterToken"/>); unset, the API is open and the
/// coordinator says so at start. With <see cref="Tls"/> set, the control API, the silo and the gateway speak mutual TLS
/// only. <c>/healthz</c> and <c>/metrics</c> stay open (plain HTTP) for probes and scrapers.
/// </summary>
public sealed class SecurityOptions
{
    public const string SectionName = "Orchestrator:Security";

    /// <summary>The cluster's shared secret; the same value every worker and control client is given.</summary>
    public string? ClusterToken { get; set; }

    public bool IsEnabled => Common.Security.ClusterToken.IsSet(ClusterToken);

    /// <summary>Certificate, key and CA bundle for mutual TLS (<c>Orchestrator:Security:Tls:CertificatePath</c> ...); off when unset.</summary>
    public MutualTlsOptions Tls { get; set; } = new();
}

/// <summary>Refuses a token too short or unfit for gRPC metadata at start, without echoing it, and TLS paths that are incomplete or missing.</summary>
public sealed class SecurityOptionsValidator : IValidateOptions<SecurityOptions>
{
    public ValidateOptionsResult Validate(string? name, SecurityOptions options)
    {
        try
        {
            ClusterToken.Validate(options.ClusterToken, $"{SecurityOptions.SectionName}:{nameof(SecurityOptions.ClusterToken)}");
            options.Tls.Validate($"{SecurityOptions.SectionName}:{nameof(SecurityOptions.Tls)}");
            return ValidateOptionsResult.Success;
        }
        catch (Exception ex) when (ex is ArgumentException or FileNotFoundException)
        {
            return ValidateOptionsResult.Fail(ex.Message);
        }
    }
}
