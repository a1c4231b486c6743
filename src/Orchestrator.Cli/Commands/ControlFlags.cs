using System.CommandLine;
using Orchestrator.Cluster.Control;

namespace Orchestrator.Cli.Commands;

/// <summary>
/// What every control-API command (<c>submit</c>, <c>status</c>, <c>cancel</c>) needs to reach a coordinator:
/// <c>--coordinator</c>, <c>--cluster-token</c> and the <c>--tls-*</c> flags, added and resolved in one place.
/// </summary>
internal sealed record ControlFlags(Option<string> Coordinator, Option<string?> ClusterToken, MutualTlsFlags Tls)
{
    public static ControlFlags Create() => new(
        new Option<string>("--coordinator")
        {
            Description = "Coordinator control API, HOST:PORT or URL (default 127.0.0.1:5050)",
            DefaultValueFactory = _ => "127.0.0.1:5050",
        },
        ClusterTokenOption.Create(),
        MutualTlsFlags.Create());

    /// <summary>Adds the flags to <paramref name="command"/>, after its own arguments.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(Coordinator);
        command.Options.Add(ClusterToken);
        Tls.AddTo(command);
    }

    /// <summary>A control client for the coordinator, token and TLS the command line (or the environment) names.</summary>
    public ControlClient Connect(ParseResult parse) =>
        ControlClient.Connect(parse.GetValue(Coordinator)!, ClusterTokenOption.Resolve(parse, ClusterToken), Tls.Resolve(parse));
}
