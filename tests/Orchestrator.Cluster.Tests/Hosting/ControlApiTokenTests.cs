using Microsoft.Extensions.Logging;
using Orchestrator.Cluster.Control;
using Orchestrator.Cluster.Hosting;
using Orchestrator.Cluster.Tests.Support;
using Orchestrator.Common.Security;

namespace Orchestrator.Cluster.Tests.Hosting;

/// <summary>
/// A coordinator given <c>Orchestrator:Security:ClusterToken</c> answers its control API only to clients holding the
/// token: others get a refusal naming the cause, and the coordinator logs who called which method without the token.
/// </summary>
public sealed class ControlApiTokenTests
{
    private const string Token = "coordinator-test-token-0123456789";
    private const string ListJobsMethod = "/orchestrator.control.v1.Control/ListJobs";

    [Theory]
    [InlineData(null)]
    [InlineData("someone-elses-token-0123456789")]
    public async Task Control_api_refuses_a_client_without_the_right_token_and_logs_the_caller(string? presented)
    {
        var logs = new CapturingLoggerProvider();
        await using var host = await StartAsync(Token, logs);

        using var control = ControlClient.Connect(host.ControlAddress.ToString(), presented);
        var refusal = await Assert.ThrowsAsync<UnauthorizedAccessException>(() => control.ListJobsAsync());

        Assert.Contains(host.ControlAddress.ToString(), refusal.Message);
        Assert.Contains(presented is null ? "no cluster token" : "a wrong cluster token", refusal.Message);
        var warning = Assert.Single(logs.Entries, e => e.Category == typeof(ClusterTokenInterceptor).FullName);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Equal(ListJobsMethod, warning.State["Method"]);
        Assert.Contains("127.0.0.1", (string)warning.State["Peer"]!);
        Assert.All(logs.Entries, e => Assert.DoesNotContain(Token, e.Message));
        if (presented is not null) Assert.All(logs.Entries, e => Assert.DoesNotContain(presented, e.Message));
    }

    [Fact]
    public async Task Control_api_answers_a_client_with_the_right_token()
    {
        var logs = new CapturingLoggerProvider();
        await using var host = await StartAsync(Token, logs);

        using var control = ControlClient.Connect(host.ControlAddress.ToString(), Token);

        Assert.Empty(await control.ListJobsAsync());
        Assert.Empty(await control.ListWorkersAsync());
        Assert.DoesNotContain(logs.Entries, e => e.Category == typeof(ClusterTokenInterceptor).FullName);
    }

    [Fact]
    public async Task A_coordinator_without_a_token_warns_that_its_control_api_is_open()
    {
        var logs = new CapturingLoggerProvider();
        await using var host = await StartAsync(null, logs);

        var warning = Assert.Single(logs.Entries, e => e.Message.Contains("control API is unauthenticated"));
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("--cluster-token", warning.Message);
        using var control = ControlClient.Connect(host.ControlAddress.ToString());
        Assert.Empty(await control.ListJobsAsync());
    }

    private static async Task<CoordinatorHost> StartAsync(string? token, CapturingLoggerProvider logs)
    {
        var settings = CoordinatorSettings.OnFreePorts($"token-{Guid.NewGuid():N}");
        settings["Orchestrator:Security:ClusterToken"] = token;
        var host = CoordinatorHost.Create([], settings, logging => logging.AddProvider(logs));
        await host.StartAsync();
        return host;
    }
}
