using System.CommandLine;

namespace Orchestrator.Cli.Commands;

/// <summary><c>submit JOB.json</c>: hands a job file to a running coordinator.</summary>
internal static class SubmitCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("job") { Description = "Job file (JSON: job_id, data, run_dir, workers, config)" };
        var control = ControlFlags.Create();
        var command = new Command("submit", "Submit a training job to a coordinator") { file };
        control.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var job = JobFile.Load(parse.GetValue(file)!);
            using var client = control.Connect(parse);
            var status = await client.SubmitAsync(job.ToSpec(), cancellationToken);
            Console.WriteLine($"submitted {status.Spec.JobId}: {status.State}");
            return 0;
        });
        return command;
    }
}
