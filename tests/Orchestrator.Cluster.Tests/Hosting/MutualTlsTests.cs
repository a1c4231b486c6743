using System.Net.Security;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Orchestrator.Cluster.Client;
using Orchestrator.Cluster.Control;
using Orchestrator.Cluster.Hosting;
using Orchestrator.Cluster.Tests.Support;
using Orchestrator.Common.Security;
using Proto = Orchestrator.Cluster.Protos;

namespace Orchestrator.Cluster.Tests.Hosting;

/// <summary>
/// A coordinator given <c>Orchestrator:Security:Tls</c> serves its control API and its Orleans gateway over mutual
/// TLS: clients holding a certificate of the cluster CA are served, a client without a certificate or with one from
/// another CA is turned away, and the coordinator logs the caller's address and why.
/// </summary>
public sealed class MutualTlsTests : IDisposable
{
    private const string Token = "coordinator-tls-token-0123456789";
    private const string Server = "The coordinator's control API";

    private readonly TestCertificateAuthority _cluster = TestCertificateAuthority.Create("cluster-ca");
    private readonly TestCertificateAuthority _rogue = TestCertificateAuthority.Create("rogue-ca");

    [Fact]
    public async Task Control_api_and_gateway_serve_clients_holding_certificates_of_the_cluster_ca()
    {
        var logs = new CapturingLoggerProvider();
        await using var host = await StartAsync(logs);

        using var control = ControlClient.Connect(host.ControlAddress.ToString(), Token, _cluster.Issue("operator"));
        await using var worker = await CoordinatorConnection.ConnectAsync(new CoordinatorConnectionOptions
        {
            Gateways = host.GatewayEndpoint, ClusterId = host.Options.ClusterId, Tls = _cluster.Issue("worker"),
        });

        Assert.Equal("https", host.ControlAddress.Scheme);
        Assert.Empty(await control.ListJobsAsync());
        Assert.Empty(await worker.WorkerRegistry.ListAsync());
        Assert.DoesNotContain(logs.Entries, e => e.Message.Contains("refused", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Control_api_refuses_a_client_with_a_certificate_from_another_ca_and_logs_why()
    {
        var logs = new CapturingLoggerProvider();
        await using var host = await StartAsync(logs);
        // Trusts the real coordinator, so only the coordinator's check of the client can fail.
        using var control = ControlClient.Connect(host.ControlAddress.ToString(), Token, _rogue.Issue("intruder", trustedCaPath: _cluster.CaPath));

        await Assert.ThrowsAsync<CoordinatorUnavailableException>(() => control.ListJobsAsync());

        var refusal = await RefusalAsync(logs);
        Assert.Contains("'CN=intruder' (issuer 'CN=rogue-ca') does not chain to the cluster CA", (string)refusal.State["Reason"]!);
    }

    [Fact]
    public async Task Control_api_refuses_a_client_without_a_certificate_and_logs_its_address()
    {
        var logs = new CapturingLoggerProvider();
        await using var host = await StartAsync(logs);
        using var trust = _cluster.Issue("anonymous").Load();
        using var channel = GrpcChannel.ForAddress(host.ControlAddress, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                SslOptions = new SslClientAuthenticationOptions
                {
                    RemoteCertificateValidationCallback = (_, certificate, chain, _) => trust.IsTrusted(certificate, chain, out _),
                },
            },
        });
        var client = new Proto.Control.ControlClient(channel);

        var refusal = await Assert.ThrowsAsync<RpcException>(async () => await client.ListJobsAsync(
            new Proto.ListJobsRequest(), new Metadata { { ClusterToken.MetadataKey, ClusterToken.AuthorizationValue(Token) } }));

        // With TLS 1.3 the server checks the client's certificate after the client has finished its handshake, so the
        // refusal reaches the call as it starts (UNAVAILABLE) or as it reads (INTERNAL); either is "unreachable" to the CLI.
        Assert.IsType<CoordinatorUnavailableException>(ControlErrors.FromRpcException(refusal, host.ControlAddress.ToString()));
        Assert.Equal("it presented no certificate", (await RefusalAsync(logs)).State["Reason"]);
    }

    [Fact]
    public async Task Gateway_refuses_a_worker_with_a_certificate_from_another_ca()
    {
        var logs = new CapturingLoggerProvider();
        await using var host = await StartAsync(logs);

        await Assert.ThrowsAsync<CoordinatorUnavailableException>(() => CoordinatorConnection.ConnectAsync(new CoordinatorConnectionOptions
        {
            Gateways = host.GatewayEndpoint,
            ClusterId = host.Options.ClusterId,
            Tls = _rogue.Issue("intruder", trustedCaPath: _cluster.CaPath),
            ConnectTimeout = TimeSpan.FromSeconds(2),
        }));

        // The client retries until its timeout, so the gateway may have refused it more than once.
        var refusal = Assert.IsType<CapturingLoggerProvider.LogEntry>(
            logs.Entries.FirstOrDefault(e => e.Message.StartsWith("The Orleans gateway refused", StringComparison.Ordinal)));
        Assert.Equal(LogLevel.Warning, refusal.Level);
        Assert.StartsWith("127.0.0.1:", (string)refusal.State["RemoteEndpoint"]!);
        Assert.Contains("'CN=intruder' (issuer 'CN=rogue-ca')", (string)refusal.State["Reason"]!);
    }

    [Fact]
    public void A_coordinator_with_only_some_tls_paths_refuses_to_start_naming_the_missing_one()
    {
        var settings = CoordinatorSettings.OnFreePorts($"tls-{Guid.NewGuid():N}");
        settings["Orchestrator:Security:Tls:CertificatePath"] = _cluster.CaPath;

        var refusal = Assert.ThrowsAny<Exception>(() => CoordinatorHost.Create([], settings));

        Assert.Contains("Orchestrator:Security:Tls:KeyPath is missing", refusal.Message);
    }

    public void Dispose()
    {
        _cluster.Dispose();
        _rogue.Dispose();
    }

    private async Task<CoordinatorHost> StartAsync(CapturingLoggerProvider logs)
    {
        var tls = _cluster.Issue("coordinator");
        var settings = CoordinatorSettings.OnFreePorts($"tls-{Guid.NewGuid():N}");
        settings["Orchestrator:Security:ClusterToken"] = Token;
        settings["Orchestrator:Security:Tls:CertificatePath"] = tls.CertificatePath;
        settings["Orchestrator:Security:Tls:KeyPath"] = tls.KeyPath;
        settings["Orchestrator:Security:Tls:CaPath"] = tls.CaPath;
        var host = CoordinatorHost.Create([], settings, logging => logging.AddProvider(logs));
        await host.StartAsync();
        return host;
    }

    /// <summary>The control API's refusal warning; logged on the handshake's flow, so it may trail the client's failure.</summary>
    private static async Task<CapturingLoggerProvider.LogEntry> RefusalAsync(CapturingLoggerProvider logs)
    {
        for (var attempt = 0; attempt < 50 && !logs.Entries.Any(IsRefusal); attempt++)
            await Task.Delay(20);
        var refusal = Assert.Single(logs.Entries, IsRefusal);
        Assert.Equal(LogLevel.Warning, refusal.Level);
        Assert.StartsWith("127.0.0.1:", (string)refusal.State["RemoteEndpoint"]!);
        return refusal;

        static bool IsRefusal(CapturingLoggerProvider.LogEntry e) => e.Message.StartsWith(Server + " refused", StringComparison.Ordinal);
    }
}
