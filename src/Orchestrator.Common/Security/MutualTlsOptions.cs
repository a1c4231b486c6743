using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Orchestrator.Common.Security;

/// <summary>
/// Where a process finds its TLS identity: its certificate and key, and the CA bundle every peer's certificate must
/// chain to. The same three paths configure a worker's collective server and its ring channels, the coordinator's
/// control API and its clients, and Orleans' silo and gateway connections. All three set turns mutual TLS on (every
/// connection presents a certificate signed by the cluster CA, and checks the other side's); none set leaves the
/// cluster on cleartext HTTP/2 with the token alone. Bound from <c>...:Tls</c> configuration sections, the
/// <c>--tls-cert/--tls-key/--tls-ca</c> flags and the <c>ORCHESTRATOR_TLS_*</c> environment variables.
/// </summary>
public sealed class MutualTlsOptions
{
    public const string CertificateEnvironmentVariable = "ORCHESTRATOR_TLS_CERT";

    public const string KeyEnvironmentVariable = "ORCHESTRATOR_TLS_KEY";

    public const string CaEnvironmentVariable = "ORCHESTRATOR_TLS_CA";

    /// <summary>PEM file with this process's certificate (first certificate in the file; usable for both server and client authentication).</summary>
    public string? CertificatePath { get; set; }

    /// <summary>PEM file with the certificate's private key (PKCS#8 or the key type's own PEM form, unencrypted).</summary>
    public string? KeyPath { get; set; }

    /// <summary>PEM bundle of the cluster CA certificate(s); the machine's trust store plays no part.</summary>
    public string? CaPath { get; set; }

    public bool IsEnabled => !string.IsNullOrEmpty(CertificatePath) || !string.IsNullOrEmpty(KeyPath) || !string.IsNullOrEmpty(CaPath);

    /// <summary>
    /// Throws when only some paths are set or a file is missing, naming the option (<paramref name="optionPrefix"/>
    /// plus the property) and the path at fault. Does nothing when TLS is off.
    /// </summary>
    public void Validate(string optionPrefix)
    {
        if (!IsEnabled) return;
        Require(CertificatePath, optionPrefix, nameof(CertificatePath));
        Require(KeyPath, optionPrefix, nameof(KeyPath));
        Require(CaPath, optionPrefix, nameof(CaPath));
    }

    /// <summary>
    /// Reads the three files now (so a rotated certificate is picked up by the next connection that loads them).
    /// Throws <see cref="InvalidDataException"/> naming the file when its content is not what it should be.
    /// </summary>
    public MutualTlsCredentials Load()
    {
        Validate("tls");
        X509Certificate2 certificate;
        try
        {
            certificate = X509Certificate2.CreateFromPemFile(CertificatePath!, KeyPath);
        }
        catch (CryptographicException ex)
        {
            throw new InvalidDataException(
                $"TLS certificate '{CertificatePath}' with key '{KeyPath}' cannot be loaded ({ex.Message}): both must be PEM, the key unencrypted and matching the certificate", ex);
        }

        var authorities = new X509Certificate2Collection();
        try
        {
            authorities.ImportFromPemFile(CaPath!);
        }
        catch (CryptographicException ex)
        {
            certificate.Dispose();
            throw new InvalidDataException($"TLS CA bundle '{CaPath}' cannot be read as PEM certificates ({ex.Message})", ex);
        }

        if (authorities.Count == 0)
        {
            certificate.Dispose();
            throw new InvalidDataException($"TLS CA bundle '{CaPath}' holds no certificate: give the PEM of the CA that signed the cluster's certificates");
        }

        return new MutualTlsCredentials(certificate, authorities);
    }

    /// <summary>The paths from the <c>ORCHESTRATOR_TLS_*</c> environment variables (TLS off when none is set).</summary>
    public static MutualTlsOptions FromEnvironment() => new()
    {
        CertificatePath = NullIfEmpty(Environment.GetEnvironmentVariable(CertificateEnvironmentVariable)),
        KeyPath = NullIfEmpty(Environment.GetEnvironmentVariable(KeyEnvironmentVariable)),
        CaPath = NullIfEmpty(Environment.GetEnvironmentVariable(CaEnvironmentVariable)),
    };

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static void Require(string? path, string optionPrefix, string property)
    {
        if (string.IsNullOrEmpty(path))
            throw new ArgumentException(
                $"{optionPrefix}:{property} is missing: mutual TLS needs the certificate, its key and the CA bundle together (or none of them)", property);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{optionPrefix}:{property} names '{path}', which does not exist", path);
    }
}
