using System.CommandLine;
using Orchestrator.Cluster.Grains.Abstractions;

namespace Orchestrator.Cli.Commands;

/// <summary>
/// <c>status [JOB]</c>: one line per job (and, without a job id, one per worker) from a running coordinator; under a
/// running job with several workers, the rank holding it up (see <see cref="Straggler"/>).
/// </summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var job = new Argument<string?>("job") { Description = "Job id (all jobs and workers when left out)", Arity = ArgumentArity.ZeroOrOne };
        var control = ControlFlags.Create();
        var json = new Option<bool>("--json") { Description = "Print each job's full status as one JSON line (for scripts) instead of the table" };
        var command = new Command("status", "Show jobs and workers") { job };
        control.AddTo(command);
        command.Options.Add(json);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var client = control.Connect(parse);
            var jobs = parse.GetValue(job) is { } id ? [await client.GetJobAsync(id, cancellationToken)] : await client.ListJobsAsync(cancellationToken);
            if (parse.GetValue(json))
            {
                foreach (var s in jobs) Console.WriteLine(JobStatusJson.Serialize(s));
                return 0;
            }
            Console.WriteLine($"{"JOB",-28} {"STATE",-11} {"WORKERS",7} {"STEP",8} {"LOSS",8} {"TOKENS/S",10}  CHECKPOINT");
            foreach (var s in jobs)
            {
                Console.WriteLine($"{s.Spec.JobId,-28} {s.State,-11} {s.Members.Count,7} {s.Step,8} {s.LastLoss,8:F4} {s.TokensPerSecond,10:F0}  {s.LatestCheckpoint?.Path}");
                if (s.WaitingReason is { } waiting) Console.WriteLine($"  {waiting}");
                if (s.State == JobState.Running && s.Slowest is { } slowest) Console.WriteLine($"  {slowest.Describe()}");
            }
            if (parse.GetValue(job) is null)
            {
                Console.WriteLine();
                Console.WriteLine($"{"WORKER",-28} {"ALIVE",-6} {"JOB",-28} {"RANK",5} {"STEP",8}  ENDPOINT");
                foreach (var w in await client.ListWorkersAsync(cancellationToken))
                    Console.WriteLine($"{w.WorkerId,-28} {(w.Alive ? "yes" : "no"),-6} {w.JobId ?? "-",-28} {w.Rank?.ToString() ?? "-",5} {w.Step,8}  {w.Info?.GrpcEndpoint}");
            }
            return 0;
        });
        return command;
    }
}
