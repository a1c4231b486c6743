using System.CommandLine;

namespace Orchestrator.Cli.Commands;

/// <summary><c>--verbose</c> of the long-running processes: the logs of Orleans, ASP.NET Core and gRPC from Information up instead of Warning.</summary>
internal static class VerboseOption
{
    public static Option<bool> Create() => new("--verbose") { Description = "Also log Orleans', ASP.NET Core's and gRPC's information messages (configuration dump included)" };
}
