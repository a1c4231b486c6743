using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;

namespace Orchestrator.Cluster.Client;

/// <summary>
/// The Orleans client of a process that talks to the coordinator's grains (a worker's host, or a
/// <see cref="CoordinatorConnection"/> of its own): the gateways, the cluster's ids, mutual TLS, and a connection
/// retry that gives up <see cref="CoordinatorConnectionOptions.ConnectTimeout"/> after this call.
/// </summary>
public static class CoordinatorClientExtensions
{
    /// <summary>
    /// Adds the client to <paramref name="builder"/>; the host's start connects it, or throws once no gateway answered
    /// within the connect timeout (<see cref="CoordinatorConnection.Unavailable"/> words that failure). Gateway host
    /// names are resolved now.
    /// </summary>
    public static TBuilder AddCoordinatorClient<TBuilder>(this TBuilder builder, CoordinatorConnectionOptions options) where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(options);
        var endpoints = GatewayList.Resolve(options.Gateways);
        // Orleans consults the same filter when it reconnects later: after the deadline, a lost gateway fails calls
        // at once (the worker's CoordinatorLink retries them) instead of holding each for its response timeout.
        var deadline = DateTimeOffset.UtcNow + options.ConnectTimeout;
        var tls = options.Tls is { IsEnabled: true } ? options.Tls.Load() : null;
        // A factory registration, so the host disposes the certificate with itself.
        if (tls is not null) builder.Services.AddSingleton(_ => tls);
        builder.UseOrleansClient(client =>
        {
            if (tls is not null) client.UseMutualTls(tls);
            client
                .UseStaticClustering(endpoints.ToArray())
                .Configure<ClusterOptions>(cluster =>
                {
                    cluster.ClusterId = options.ClusterId;
                    cluster.ServiceId = options.ServiceId;
                })
                .UseConnectionRetryFilter(async (_, ct) =>
                {
                    if (DateTimeOffset.UtcNow >= deadline)
                    {
                        return false;
                    }

                    await Task.Delay(TimeSpan.FromMilliseconds(500), ct);
                    return true;
                });
        });
        return builder;
    }
}
