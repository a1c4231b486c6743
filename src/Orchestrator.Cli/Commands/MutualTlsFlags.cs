using System.CommandLine;
using Orchestrator.Common.Security;

namespace Orchestrator.Cli.Commands;

/// <summary>
/// <c>--tls-cert</c>, <c>--tls-key</c> and <c>--tls-ca</c>, shared by every command that serves or calls the cluster's
/// gRPC APIs (coordinator, worker, submit/status/cancel). Each falls back to its <c>ORCHESTRATOR_TLS_*</c> environment
/// variable, which is how the Helm chart passes the paths of its mounted Secret. All three set turns mutual TLS on.
/// </summary>
internal sealed record MutualTlsFlags(Option<string?> Certificate, Option<string?> Key, Option<string?> Ca)
{
    public static MutualTlsFlags Create() => new(
        new Option<string?>("--tls-cert") { Description = $"PEM certificate this process presents, for mutual TLS (default: ${MutualTlsOptions.CertificateEnvironmentVariable}; none = no TLS)" },
        new Option<string?>("--tls-key") { Description = $"PEM private key of --tls-cert (default: ${MutualTlsOptions.KeyEnvironmentVariable})" },
        new Option<string?>("--tls-ca") { Description = $"PEM bundle of the cluster CA that every peer's certificate must chain to (default: ${MutualTlsOptions.CaEnvironmentVariable})" });

    /// <summary>Adds the three options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(Certificate);
        command.Options.Add(Key);
        command.Options.Add(Ca);
    }

    /// <summary>
    /// Each flag's value, else its environment variable's. Throws <see cref="ArgumentException"/> naming the flag when
    /// only some are given (the files themselves are checked where they are loaded).
    /// </summary>
    public MutualTlsOptions Resolve(ParseResult parse)
    {
        var environment = MutualTlsOptions.FromEnvironment();
        var tls = new MutualTlsOptions
        {
            CertificatePath = parse.GetValue(Certificate) is { Length: > 0 } certificate ? certificate : environment.CertificatePath,
            KeyPath = parse.GetValue(Key) is { Length: > 0 } key ? key : environment.KeyPath,
            CaPath = parse.GetValue(Ca) is { Length: > 0 } ca ? ca : environment.CaPath,
        };
        if (!tls.IsEnabled) return tls;
        Require(tls.CertificatePath, Certificate, MutualTlsOptions.CertificateEnvironmentVariable);
        Require(tls.KeyPath, Key, MutualTlsOptions.KeyEnvironmentVariable);
        Require(tls.CaPath, Ca, MutualTlsOptions.CaEnvironmentVariable);
        return tls;
    }

    private static void Require(string? path, Option<string?> option, string environmentVariable)
    {
        if (path is null)
            throw new ArgumentException(
                $"{option.Name} (or ${environmentVariable}) is missing: mutual TLS needs --tls-cert, --tls-key and --tls-ca together, or none of them");
    }

    /// <summary>The resolved paths as configuration keys under <paramref name="section"/> (e.g. <c>Orchestrator:Security:Tls</c>).</summary>
    public IEnumerable<KeyValuePair<string, string?>> ToSettings(ParseResult parse, string section)
    {
        var tls = Resolve(parse);
        if (tls.CertificatePath is not null) yield return new($"{section}:{nameof(MutualTlsOptions.CertificatePath)}", Path.GetFullPath(tls.CertificatePath));
        if (tls.KeyPath is not null) yield return new($"{section}:{nameof(MutualTlsOptions.KeyPath)}", Path.GetFullPath(tls.KeyPath));
        if (tls.CaPath is not null) yield return new($"{section}:{nameof(MutualTlsOptions.CaPath)}", Path.GetFullPath(tls.CaPath));
    }
}
