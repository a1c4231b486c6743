using System.CommandLine;

namespace Orchestrator.Cli;

/// <summary>
/// Turns any failure into one line on standard error and exit code 1 (2 for bad usage), so scripts and users see
/// the problem and its fix, not a stack trace. Set ORCHESTRATOR_DEBUG=1 to get the full exception.
/// </summary>
internal static class CliErrors
{
    public static async Task<int> InvokeAsync(RootCommand root, string[] args)
    {
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors) Console.Error.WriteLine($"error: {error.Message}");
            Console.Error.WriteLine("run with --help for usage");
            return 2;
        }
        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }, cancel.Token);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            Console.Error.WriteLine("cancelled");
            return 130;
        }
        catch (Exception e)
        {
            var inner = e is AggregateException { InnerExceptions.Count: 1 } aggregate ? aggregate.InnerException! : e;
            Console.Error.WriteLine($"error: {inner.Message}");
            if (Environment.GetEnvironmentVariable("ORCHESTRATOR_DEBUG") == "1") Console.Error.WriteLine(inner);
            return 1;
        }
    }
}
