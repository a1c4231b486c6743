using Microsoft.Extensions.Logging;

namespace Orchestrator.Cli;

/// <summary>One look for every command's logs: single-line, timestamped, on standard error (stdout stays for results).</summary>
internal static class ConsoleLogging
{
    /// <summary>The categories of the libraries under us (Orleans, ASP.NET Core, gRPC, Polly inside Orleans): kept at Warning unless <c>--verbose</c>.</summary>
    public static readonly IReadOnlyList<string> LibraryCategories = ["Orleans", "Microsoft", "Grpc", "Polly"];

    public static ILoggerFactory Create(LogLevel minimum = LogLevel.Information, bool verbose = false) => LoggerFactory.Create(builder =>
    {
        builder.SetMinimumLevel(minimum);
        foreach (var category in LibraryCategories) builder.AddFilter(category, verbose ? LogLevel.Information : LogLevel.Warning);
        builder
            .AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
            })
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    });

    /// <summary>
    /// The same as configuration keys, for hosts that build their own logging (the coordinator): everything on
    /// standard error, single-line, the libraries at Warning unless <paramref name="verbose"/>.
    /// </summary>
    public static IEnumerable<KeyValuePair<string, string?>> AsSettings(bool verbose)
    {
        yield return new("Logging:Console:LogToStandardErrorThreshold", nameof(LogLevel.Trace));
        yield return new("Logging:Console:FormatterName", "simple");
        yield return new("Logging:Console:FormatterOptions:SingleLine", "true");
        yield return new("Logging:Console:FormatterOptions:TimestampFormat", "HH:mm:ss ");
        foreach (var category in LibraryCategories)
            yield return new($"Logging:LogLevel:{category}", verbose ? nameof(LogLevel.Information) : nameof(LogLevel.Warning));
    }
}
