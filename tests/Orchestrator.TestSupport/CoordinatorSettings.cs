using Orchestrator.Common.Networking;

namespace Orchestrator.TestSupport;

/// <summary>Configuration for an in-process test coordinator (<c>CoordinatorHost.Create</c>) on free loopback ports, in the keys an operator would use.</summary>
public static class CoordinatorSettings
{
    public static Dictionary<string, string?> OnFreePorts(string clusterId, string? redis = null)
    {
        var ports = FreePorts.Take(4);
        var settings = new Dictionary<string, string?>
        {
            ["Orchestrator:Coordinator:ClusterId"] = clusterId,
            ["Orchestrator:Coordinator:SiloPort"] = ports[0].ToString(),
            ["Orchestrator:Coordinator:GatewayPort"] = ports[1].ToString(),
            ["Orchestrator:Coordinator:ControlPort"] = ports[2].ToString(),
            ["Orchestrator:Coordinator:HealthPort"] = ports[3].ToString(),
            ["Orchestrator:Coordinator:WatchPollInterval"] = "00:00:00.050",
            ["Orchestrator:Jobs:MonitorInterval"] = "00:00:00.200",
            ["Orchestrator:Coordinator:StateStore"] = "Memory",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        if (redis is not null)
        {
            settings["Orchestrator:Redis:ConnectionString"] = redis;
        }

        return settings;
    }
}
