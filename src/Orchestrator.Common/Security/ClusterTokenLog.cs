using Microsoft.Extensions.Logging;

namespace Orchestrator.Common.Security;

/// <summary>The start-up warning every gRPC server of the cluster logs when it runs without a token, in one wording.</summary>
public static partial class ClusterTokenLog
{
    [LoggerMessage(2, LogLevel.Warning,
        "{Server} is unauthenticated: anyone who can reach it may call it. Set {Option} (or " + ClusterToken.EnvironmentVariable + ") on every process of the cluster")]
    public static partial void Unauthenticated(ILogger logger, string server, string option);
}
