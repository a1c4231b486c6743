using System.Net;
using System.Net.Sockets;

namespace Orchestrator.Telemetry.Tests.TestSupport;

internal static class FreePorts
{
    /// <summary>Distinct ports free on loopback right now (all listeners are held until every port is chosen).</summary>
    public static int[] Take(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        foreach (var listener in listeners) listener.Start();
        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        foreach (var listener in listeners) listener.Stop();
        return ports;
    }
}
