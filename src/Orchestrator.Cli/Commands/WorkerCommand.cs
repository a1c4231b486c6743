using System.CommandLine;
using Orchestrator.Worker;

namespace Orchestrator.Cli.Commands;

/// <summary><c>orchestrator worker</c>: a training worker that joins a coordinator and trains whatever job it is assigned.</summary>
internal static class WorkerCommand
{
    public static Command Create()
    {
        var defaults = new WorkerOptions();
        var coordinator = new Option<string>("--coordinator") { Description = "Coordinator gateway HOST:PORT (comma-separated for several)", Required = true };
        var device = new Option<string>("--device") { Description = "cpu, cuda or cuda:N (one worker per GPU)", DefaultValueFactory = _ => "cpu" };
        var threads = new Option<int>("--threads") { Description = "libtorch threads (0 = the job's setting or all cores)", DefaultValueFactory = _ => 0 }.AtLeast(0);
        var workerId = new Option<string>("--worker-id") { Description = "Stable worker identity", DefaultValueFactory = _ => defaults.WorkerId };
        var advertise = new Option<string>("--advertise-host") { Description = "Address peers use to reach this worker", DefaultValueFactory = _ => defaults.AdvertisedHost };
        var port = new Option<int>("--port") { Description = "Port of this worker's collective gRPC service (0 = free port)", DefaultValueFactory = _ => 0 }.Between(0, 65535);
        var metricsPort = new Option<int?>("--metrics-port") { Description = "Serve Prometheus /metrics on this port (0 = free port) [default: none]" }.Between(0, 65535);
        var peakTflops = new Option<double?>("--peak-tflops") { Description = "Peak TFLOP/s of this worker's device, for model FLOPs utilisation [default: none, MFU not exported]" }.Between(0, 1e9, minimumExcluded: true);
        var exitAfterJob = new Option<bool>("--exit-after-job") { Description = "Exit when the first job this worker joins ends" };
        var lossTimeout = new Option<double>("--coordinator-loss-timeout")
        {
            Description = "Seconds to keep training and retrying while the coordinator does not answer, before exiting with an error",
            DefaultValueFactory = _ => defaults.CoordinatorLossTimeout.TotalSeconds,
        }.Between(0, 1e7, minimumExcluded: true);
        var clusterToken = ClusterTokenOption.Create();
        var verbose = VerboseOption.Create();
        var tls = MutualTlsFlags.Create();
        var command = new Command("worker", "Run a training worker") { coordinator, device, threads, workerId, advertise, port, metricsPort, peakTflops, exitAfterJob, lossTimeout, clusterToken, verbose };
        tls.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var loggers = ConsoleLogging.Create(verbose: parse.GetValue(verbose));
            var agent = new WorkerAgent(new WorkerOptions
            {
                Coordinator = parse.GetValue(coordinator)!,
                Device = parse.GetValue(device)!,
                Threads = parse.GetValue(threads),
                WorkerId = parse.GetValue(workerId)!,
                AdvertisedHost = parse.GetValue(advertise)!,
                CollectivePort = parse.GetValue(port),
                MetricsPort = parse.GetValue(metricsPort),
                PeakFlops = parse.GetValue(peakTflops) * 1e12,
                ExitAfterJob = parse.GetValue(exitAfterJob),
                CoordinatorLossTimeout = TimeSpan.FromSeconds(parse.GetValue(lossTimeout)),
                ClusterToken = ClusterTokenOption.Resolve(parse, clusterToken),
                Tls = tls.Resolve(parse),
            }, loggers);
            await agent.RunAsync(cancellationToken);
            return 0;
        });
        return command;
    }
}
