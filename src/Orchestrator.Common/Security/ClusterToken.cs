using System.Security.Cryptography;
using System.Text;

namespace Orchestrator.Common.Security;

/// <summary>
/// The shared secret that every process of one cluster holds: clients send it as <c>authorization: Bearer TOKEN</c>
/// metadata, servers refuse calls without it (<see cref="ClusterTokenInterceptor"/>). No token configured means an
/// open cluster, acceptable only on a private network. It authenticates, it does not encrypt: traffic is h2c unless
/// <see cref="MutualTlsOptions"/> are configured too.
/// </summary>
public static class ClusterToken
{
    /// <summary>Environment variable read by <c>coordinator</c>, <c>worker</c> and the control commands when <c>--cluster-token</c> is not given.</summary>
    public const string EnvironmentVariable = "ORCHESTRATOR_CLUSTER_TOKEN";

    public const string MetadataKey = "authorization";

    public const string Scheme = "Bearer";

    /// <summary>Shortest token accepted: shorter secrets are guessable.</summary>
    public const int MinimumLength = 16;

    /// <summary>A fresh random token (256 bits, URL-safe base64), e.g. for an embedded cluster.</summary>
    public static string Generate() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>True when <paramref name="token"/> turns authentication on (null or empty leaves the cluster open).</summary>
    public static bool IsSet(string? token) => !string.IsNullOrEmpty(token);

    /// <summary>Throws when a configured token cannot be used, naming <paramref name="optionName"/> but never the value.</summary>
    public static void Validate(string? token, string optionName)
    {
        if (!IsSet(token)) return;
        if (token!.Length < MinimumLength)
            throw new ArgumentException(
                $"{optionName} is {token.Length} characters; use at least {MinimumLength}, e.g. the output of `openssl rand -hex 32`", optionName);
        if (token.Any(c => c is <= ' ' or > '~'))
            throw new ArgumentException(
                $"{optionName} contains whitespace or a non-ASCII character, which cannot travel in gRPC metadata; use e.g. `openssl rand -hex 32`", optionName);
    }

    /// <summary>The metadata value a client sends.</summary>
    public static string AuthorizationValue(string token) => $"{Scheme} {token}";

    /// <summary>
    /// Whether an <c>authorization</c> metadata value carries <paramref name="expected"/>. Both sides are hashed
    /// first and compared with <see cref="CryptographicOperations.FixedTimeEquals"/>, so the time taken reveals
    /// neither the token's content nor its length.
    /// </summary>
    public static bool Matches(string expected, string? authorization)
    {
        if (authorization is null || !authorization.StartsWith(Scheme + " ", StringComparison.OrdinalIgnoreCase)) return false;
        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(authorization[(Scheme.Length + 1)..].Trim()));
        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(expected)), presented);
    }
}
