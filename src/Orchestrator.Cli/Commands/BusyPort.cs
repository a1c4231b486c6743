using System.Text.RegularExpressions;
using Orchestrator.Serving;

namespace Orchestrator.Cli.Commands;

/// <summary>
/// The one line <c>serve</c> prints when a port it needs is taken, naming which: the gRPC port is implicit
/// (<c>--port</c> + 1), so a user who only chose <c>--port</c> would otherwise not know why it failed.
/// </summary>
internal static partial class BusyPort
{
    public static string Describe(ServingOptions options, Exception bindFailure)
    {
        var port = BoundPort().Match(bindFailure.Message) is { Success: true } m && int.TryParse(m.Groups[1].Value, out var p) ? p : (int?)null;
        var address = $"{options.Host}:{port}";
        if (port == options.Port)
            return $"--port {port}: {address} is already in use: stop what listens there or choose another --port (0 = a free port)";
        if (port == options.EffectiveGrpcPort)
        {
            return options.GrpcPort is null
                ? $"the gRPC port {port} (--port + 1, since --grpc-port was not given) is already in use on {options.Host}: pass --grpc-port with a free port, or choose another --port"
                : $"--grpc-port {port}: {address} is already in use: choose another --grpc-port (0 = a free port)";
        }
        return $"a port of the server is already in use ({bindFailure.Message}): choose other --port and --grpc-port values";
    }

    [GeneratedRegex(@":(\d+)(?:/|\b)")]
    private static partial Regex BoundPort();
}
