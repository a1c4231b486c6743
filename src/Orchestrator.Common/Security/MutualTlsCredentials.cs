using System.Security.Cryptography.X509Certificates;

namespace Orchestrator.Common.Security;

/// <summary>
/// A loaded TLS identity (<see cref="MutualTlsOptions.Load"/>) and the one rule both sides of every connection apply
/// to the other: its certificate must chain to the cluster CA. Host names are not checked: membership in the cluster
/// is the CA's signature, so pods that come and go (and may share one certificate) need no per-host names.
/// </summary>
public sealed class MutualTlsCredentials : IDisposable
{
    internal MutualTlsCredentials(X509Certificate2 certificate, X509Certificate2Collection authorities)
    {
        Certificate = certificate;
        Authorities = authorities;
    }

    /// <summary>This process's certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The CA certificates a peer's certificate must chain to.</summary>
    public X509Certificate2Collection Authorities { get; }

    /// <summary>
    /// Whether <paramref name="presented"/> chains to <see cref="Authorities"/> (and is within its validity dates);
    /// when not, <paramref name="reason"/> says why in words an operator can act on. <paramref name="presentedChain"/>
    /// (as TLS delivers it) contributes the intermediates the peer sent.
    /// </summary>
    public bool IsTrusted(X509Certificate? presented, X509Chain? presentedChain, out string reason)
    {
        if (presented is null)
        {
            reason = "it presented no certificate";
            return false;
        }

        var owned = presented as X509Certificate2 is null;
        var certificate = presented as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
        try
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(Authorities);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            if (presentedChain is not null)
            {
                foreach (var element in presentedChain.ChainElements)
                {
                    if (!element.Certificate.RawDataMemory.Span.SequenceEqual(certificate.RawDataMemory.Span))
                        chain.ChainPolicy.ExtraStore.Add(element.Certificate);
                }
            }

            if (chain.Build(certificate))
            {
                reason = string.Empty;
                return true;
            }

            var problems = chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct();
            reason = $"its certificate '{certificate.Subject}' (issuer '{certificate.Issuer}') does not chain to the cluster CA: {string.Join("; ", problems)}";
            return false;
        }
        finally
        {
            if (owned) certificate.Dispose();
        }
    }

    public void Dispose()
    {
        Certificate.Dispose();
        foreach (var authority in Authorities) authority.Dispose();
    }
}
