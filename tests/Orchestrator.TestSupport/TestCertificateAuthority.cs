using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Orchestrator.Common.Security;

namespace Orchestrator.TestSupport;

/// <summary>
/// A throw-away certificate authority for mutual TLS tests: a self-signed CA and the certificates it issues, written
/// as PEM files into a temporary directory the way an operator's <c>openssl</c> commands would leave them. ECDSA
/// P-256 keys, so issuing costs milliseconds.
/// </summary>
public sealed class TestCertificateAuthority : IDisposable
{
    private readonly ECDsa _key;
    private readonly X509Certificate2 _certificate;
    private int _issued;

    private TestCertificateAuthority(string directory, ECDsa key, X509Certificate2 certificate)
    {
        Directory = directory;
        _key = key;
        _certificate = certificate;
        CaPath = Path.Combine(directory, "ca.pem");
        File.WriteAllText(CaPath, certificate.ExportCertificatePem());
    }

    public string Directory { get; }

    /// <summary>The CA's certificate as a PEM bundle: what <see cref="MutualTlsOptions.CaPath"/> names.</summary>
    public string CaPath { get; }

    public static TestCertificateAuthority Create(string name)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory($"orchestrator-tls-{name}-").FullName;
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return new TestCertificateAuthority(directory, key, certificate);
    }

    /// <summary>
    /// Issues a certificate for <paramref name="name"/> (server and client authentication, loopback names) and
    /// returns the options a process holding it would run with: its files, and <paramref name="trustedCaPath"/>
    /// (this CA's bundle when null) as the CA it checks its peers against.
    /// </summary>
    public MutualTlsOptions Issue(string name, string? trustedCaPath = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        var serial = BitConverter.GetBytes(Interlocked.Increment(ref _issued) + 1000L);
        using var certificate = request.Create(_certificate, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddHours(12), serial);

        var certificatePath = Path.Combine(Directory, $"{name}.pem");
        var keyPath = Path.Combine(Directory, $"{name}.key");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return new MutualTlsOptions { CertificatePath = certificatePath, KeyPath = keyPath, CaPath = trustedCaPath ?? CaPath };
    }

    public void Dispose()
    {
        _certificate.Dispose();
        _key.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
