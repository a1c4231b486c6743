using Microsoft.Extensions.Logging;

namespace Orchestrator.Cluster.Hosting;

/// <summary>Structured log events of the coordinator's hosted services (source-generated), next to the job grain's <c>JobLog</c>.</summary>
internal static partial class CoordinatorLog
{
    [LoggerMessage(EventId = 4100, Level = LogLevel.Information, Message = "Resumed monitoring {Live} live jobs of {Total} known")]
    public static partial void JobsReactivated(ILogger logger, int live, int total);

    [LoggerMessage(EventId = 4101, Level = LogLevel.Warning, Message = "Cluster metrics not refreshed: {Reason}")]
    public static partial void MetricsNotRefreshed(ILogger logger, string reason);
}
