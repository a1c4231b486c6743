namespace Orchestrator.Common.Security;

/// <summary>
/// Client side of the cluster token: adds <c>authorization: Bearer TOKEN</c> to every request of a gRPC channel
/// (as its <c>HttpHandler</c>). A message handler rather than call credentials, because the cluster speaks h2c and
/// gRPC refuses call credentials on insecure channels.
/// </summary>
public sealed class ClusterTokenHandler : DelegatingHandler
{
    private readonly string _authorization;

    public ClusterTokenHandler(string token, HttpMessageHandler innerHandler) : base(innerHandler)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        _authorization = ClusterToken.AuthorizationValue(token);
    }

    /// <summary>Wraps <paramref name="innerHandler"/> when a token is set; returns it unchanged for an open cluster.</summary>
    public static HttpMessageHandler Wrap(string? token, HttpMessageHandler innerHandler) =>
        ClusterToken.IsSet(token) ? new ClusterTokenHandler(token!, innerHandler) : innerHandler;

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.TryAddWithoutValidation(ClusterToken.MetadataKey, _authorization);
        return base.SendAsync(request, cancellationToken);
    }
}
