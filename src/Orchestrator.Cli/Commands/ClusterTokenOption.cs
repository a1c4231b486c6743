using System.CommandLine;
using Orchestrator.Common.Security;

namespace Orchestrator.Cli.Commands;

/// <summary>
/// <c>--cluster-token</c>, shared by every command that serves or calls the cluster's gRPC APIs. The environment
/// variable is the fallback and the better place for a secret: command lines are visible to every user of a machine.
/// </summary>
internal static class ClusterTokenOption
{
    public static Option<string?> Create() => new("--cluster-token")
    {
        Description = $"Shared secret every process of the cluster presents (default: ${ClusterToken.EnvironmentVariable}; none = unauthenticated)",
    };

    /// <summary>The flag's value, else the environment variable's, else null (an open cluster).</summary>
    public static string? Resolve(ParseResult parse, Option<string?> option) =>
        parse.GetValue(option) is { Length: > 0 } given ? given
        : Environment.GetEnvironmentVariable(ClusterToken.EnvironmentVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment
        : null;
}
