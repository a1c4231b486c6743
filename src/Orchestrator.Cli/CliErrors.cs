using System.CommandLine;

namespace Orchestrator.Cli;

/// <summary>
/// Turns any failure into one line on standard error and exit code 1 (2 for bad usage), so scripts and users see
/// the problem and its fix, not a stack trace. Set ORCHESTRATOR_DEBUG=1 to get the full exception.
/// </summary>
internal static class CliErrors
{
    public static async Task<int> InvokeAsync(RootCommand root, string[] args, CancellationToken cancellationToken)
    {
        var parse = root.Parse(args);
        if (UsageErrors.Describe(parse) is { } usage)
        {
            Console.Error.WriteLine($"error: {usage}");
            return 2;
        }
        try
        {
            // ShutdownSignals owns SIGINT/SIGTERM; the library's own handling would end the process after 2 s.
            var invocation = new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null };
            return await parse.InvokeAsync(invocation, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Console.Error.WriteLine("cancelled");
            return 130;
        }
        catch (Exception e)
        {
            var inner = e is AggregateException { InnerExceptions.Count: 1 } aggregate ? aggregate.InnerException! : e;
            // An out-of-range setting's message ends with "\nActual value was X.": still one line for the user.
            var message = inner is ArgumentException ? inner.Message.ReplaceLineEndings(" ") : inner.Message;
            Console.Error.WriteLine($"error: {message}");
            if (Environment.GetEnvironmentVariable("ORCHESTRATOR_DEBUG") == "1") Console.Error.WriteLine(inner);
            return 1;
        }
    }
}
