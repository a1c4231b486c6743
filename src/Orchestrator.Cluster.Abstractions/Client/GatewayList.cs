using System.Net;
using System.Net.Sockets;

namespace Orchestrator.Cluster.Client;

/// <summary>Parses and resolves "HOST:PORT[,HOST:PORT...]" gateway lists into the endpoints an Orleans client dials.</summary>
public static class GatewayList
{
    /// <summary>
    /// Resolves every entry (IPv4 preferred for host names). Throws <see cref="ArgumentException"/> naming the
    /// malformed entry, or <see cref="CoordinatorUnavailableException"/> when a host name does not resolve. Synchronous:
    /// it runs once, while a host is being built.
    /// </summary>
    public static IReadOnlyList<IPEndPoint> Resolve(string gateways)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(gateways);
        var endpoints = new List<IPEndPoint>();
        foreach (var entry in gateways.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var (host, port) = Split(entry);
            if (IPAddress.TryParse(host, out var ip))
            {
                endpoints.Add(new IPEndPoint(ip, port));
                continue;
            }

            IPAddress[] addresses;
            try
            {
                addresses = Dns.GetHostAddresses(host);
            }
            catch (SocketException ex)
            {
                throw new CoordinatorUnavailableException($"coordinator gateway host '{host}' (from '{entry}') does not resolve: {ex.Message}", ex);
            }

            var chosen = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
                ?? throw new CoordinatorUnavailableException($"coordinator gateway host '{host}' (from '{entry}') resolved to no address");
            endpoints.Add(new IPEndPoint(chosen, port));
        }

        return endpoints.Count > 0
            ? endpoints
            : throw new ArgumentException($"gateway list '{gateways}' names no HOST:PORT", nameof(gateways));
    }

    private static (string Host, int Port) Split(string entry)
    {
        var colon = entry.LastIndexOf(':');
        var host = colon > 0 ? entry[..colon].Trim('[', ']') : "";
        if (host.Length == 0 || !int.TryParse(entry.AsSpan(colon + 1), out var port) || port is < 1 or > 65535)
        {
            throw new ArgumentException($"gateway '{entry}' is not HOST:PORT (e.g. 10.0.0.5:30000, the coordinator's GatewayPort)", nameof(entry));
        }

        return (host, port);
    }
}
