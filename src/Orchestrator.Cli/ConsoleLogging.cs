using Microsoft.Extensions.Logging;

namespace Orchestrator.Cli;

/// <summary>One look for every command's logs: single-line, timestamped, on standard error (stdout stays for results).</summary>
internal static class ConsoleLogging
{
    public static ILoggerFactory Create(LogLevel minimum = LogLevel.Information) => LoggerFactory.Create(builder => builder
        .SetMinimumLevel(minimum)
        .AddFilter("Orleans", LogLevel.Warning)
        .AddFilter("Microsoft", LogLevel.Warning)
        .AddFilter("Grpc", LogLevel.Warning)
        .AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
        })
        .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
}
