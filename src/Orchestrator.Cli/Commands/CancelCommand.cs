using System.CommandLine;

namespace Orchestrator.Cli.Commands;

/// <summary><c>cancel JOB</c>: stops a job on a running coordinator.</summary>
internal static class CancelCommand
{
    public static Command Create()
    {
        var job = new Argument<string>("job") { Description = "Job id" };
        var control = ControlFlags.Create();
        var command = new Command("cancel", "Cancel a job") { job };
        control.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var client = control.Connect(parse);
            var status = await client.CancelAsync(parse.GetValue(job)!, "cancelled from the command line", cancellationToken);
            Console.WriteLine($"{status.Spec.JobId}: {status.State}");
            return 0;
        });
        return command;
    }
}
