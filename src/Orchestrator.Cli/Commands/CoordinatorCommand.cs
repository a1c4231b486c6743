using System.CommandLine;
using Orchestrator.Cluster.Hosting;

namespace Orchestrator.Cli.Commands;

/// <summary>
/// <c>orchestrator coordinator</c>: the Orleans silo with the job, worker and checkpoint grains plus the control API.
/// Every setting of <c>Orchestrator:Coordinator</c>, <c>Orchestrator:Redis</c>, <c>Orchestrator:Security</c> and <c>Orchestrator:Jobs</c> can also come
/// from environment variables (<c>Orchestrator__Coordinator__GatewayPort</c>) or <c>--Orchestrator:Section:Key=value</c>.
/// </summary>
internal static class CoordinatorCommand
{
    public static Command Create()
    {
        var gatewayPort = new Option<int?>("--gateway-port") { Description = "Orleans gateway port workers connect to [default: 30000]" }.Between(1, 65535);
        var siloPort = new Option<int?>("--silo-port") { Description = "Silo-to-silo port [default: 11111]" }.Between(1, 65535);
        var controlPort = new Option<int?>("--control-port") { Description = "gRPC control API port [default: 5050]" }.Between(1, 65535);
        var healthPort = new Option<int?>("--health-port") { Description = "/healthz port [default: 5051]" }.Between(1, 65535);
        var advertise = new Option<string?>("--advertise") { Description = "IP other machines reach this coordinator on [default: loopback only]" };
        var redis = new Option<string?>("--redis") { Description = "Redis connection string: clustering and grain storage shared by several coordinators [default: none, state on disk]" };
        var stateDir = new Option<string?>("--state-dir")
        {
            Description = "Directory where jobs, workers and checkpoint catalogs are kept across restarts " +
                          "(default $XDG_STATE_HOME/orchestrator/CLUSTER or ~/.local/state/orchestrator/CLUSTER; unused with --redis)",
        };
        var clusterToken = ClusterTokenOption.Create();
        var verbose = VerboseOption.Create();
        var tls = MutualTlsFlags.Create();
        var command = new Command("coordinator", "Run the coordinator (Orleans silo + control API)") { gatewayPort, siloPort, controlPort, healthPort, advertise, redis, stateDir, clusterToken, verbose };
        tls.AddTo(command);
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = new Dictionary<string, string?>();
            void Set(string key, object? value)
            {
                if (value is not null) settings[key] = value.ToString();
            }
            Set("Orchestrator:Coordinator:GatewayPort", parse.GetValue(gatewayPort));
            Set("Orchestrator:Coordinator:SiloPort", parse.GetValue(siloPort));
            Set("Orchestrator:Coordinator:ControlPort", parse.GetValue(controlPort));
            Set("Orchestrator:Coordinator:HealthPort", parse.GetValue(healthPort));
            Set("Orchestrator:Coordinator:AdvertisedAddress", parse.GetValue(advertise));
            Set("Orchestrator:Redis:ConnectionString", parse.GetValue(redis));
            Set("Orchestrator:Coordinator:StateDirectory", parse.GetValue(stateDir) is { } dir ? Path.GetFullPath(dir) : null);
            Set("Orchestrator:Security:ClusterToken", ClusterTokenOption.Resolve(parse, clusterToken));
            foreach (var (key, value) in tls.ToSettings(parse, "Orchestrator:Security:Tls")) Set(key, value);
            foreach (var (key, value) in ConsoleLogging.AsSettings(parse.GetValue(verbose))) Set(key, value);
            await using var host = CoordinatorHost.Create(parse.UnmatchedTokens.ToArray(), settings);
            await host.StartAsync(cancellationToken);
            Console.Error.WriteLine($"coordinator: gateway {host.GatewayEndpoint}, control {host.ControlAddress}, health {host.HealthAddress}, state {host.StateLocation}");
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
            }
            await host.StopAsync(CancellationToken.None);
            return 0;
        });
        return command;
    }
}
