using System.CommandLine;
using Orchestrator.Cluster.Control;
using Orchestrator.Cluster.Grains.Abstractions;
using Orchestrator.Data;

namespace Orchestrator.Cli.Commands;

/// <summary>The control-API commands: <c>submit</c>, <c>status</c> and <c>cancel</c> against a running coordinator.</summary>
internal static class SubmitCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("job") { Description = "Job file (JSON: job_id, data, run_dir, workers, config)" };
        var coordinator = ControlOptions.Coordinator();
        var clusterToken = ClusterTokenOption.Create();
        var tls = MutualTlsFlags.Create();
        var command = new Command("submit", "Submit a training job to a coordinator") { file, coordinator, clusterToken };
        tls.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var job = JobFile.Load(parse.GetValue(file)!);
            var vocabSize = Directory.Exists(job.Data) ? DatasetMeta.Load(job.Data).VocabSize : 0;
            using var control = ControlClient.Connect(parse.GetValue(coordinator)!, ClusterTokenOption.Resolve(parse, clusterToken), tls.Resolve(parse));
            var status = await control.SubmitAsync(job.ToSpec(vocabSize), cancellationToken);
            Console.WriteLine($"submitted {status.Spec.JobId}: {status.State}");
            return 0;
        });
        return command;
    }
}

internal static class StatusCommand
{
    public static Command Create()
    {
        var job = new Argument<string?>("job") { Description = "Job id (all jobs and workers when left out)", Arity = ArgumentArity.ZeroOrOne };
        var coordinator = ControlOptions.Coordinator();
        var clusterToken = ClusterTokenOption.Create();
        var tls = MutualTlsFlags.Create();
        var json = new Option<bool>("--json") { Description = "Print each job's full status as one JSON line (for scripts) instead of the table" };
        var command = new Command("status", "Show jobs and workers") { job, coordinator, clusterToken, json };
        tls.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var control = ControlClient.Connect(parse.GetValue(coordinator)!, ClusterTokenOption.Resolve(parse, clusterToken), tls.Resolve(parse));
            var jobs = parse.GetValue(job) is { } id ? [await control.GetJobAsync(id, cancellationToken)] : await control.ListJobsAsync(cancellationToken);
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
            }
            if (parse.GetValue(job) is null)
            {
                Console.WriteLine();
                Console.WriteLine($"{"WORKER",-28} {"ALIVE",-6} {"JOB",-28} {"RANK",5} {"STEP",8}  ENDPOINT");
                foreach (var w in await control.ListWorkersAsync(cancellationToken))
                    Console.WriteLine($"{w.WorkerId,-28} {(w.Alive ? "yes" : "no"),-6} {w.JobId ?? "-",-28} {w.Rank?.ToString() ?? "-",5} {w.Step,8}  {w.Info?.GrpcEndpoint}");
            }
            return 0;
        });
        return command;
    }
}

internal static class CancelCommand
{
    public static Command Create()
    {
        var job = new Argument<string>("job") { Description = "Job id" };
        var coordinator = ControlOptions.Coordinator();
        var clusterToken = ClusterTokenOption.Create();
        var tls = MutualTlsFlags.Create();
        var command = new Command("cancel", "Cancel a job") { job, coordinator, clusterToken };
        tls.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var control = ControlClient.Connect(parse.GetValue(coordinator)!, ClusterTokenOption.Resolve(parse, clusterToken), tls.Resolve(parse));
            var status = await control.CancelAsync(parse.GetValue(job)!, "cancelled from the command line", cancellationToken);
            Console.WriteLine($"{status.Spec.JobId}: {status.State}");
            return 0;
        });
        return command;
    }
}

internal static class ControlOptions
{
    public static Option<string> Coordinator() => new("--coordinator")
    {
        Description = "Coordinator control API, HOST:PORT or URL (default 127.0.0.1:5050)",
        DefaultValueFactory = _ => "127.0.0.1:5050",
    };
}
