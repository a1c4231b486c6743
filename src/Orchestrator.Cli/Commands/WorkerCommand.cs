using System.CommandLine;
using System.Globalization;
using Orchestrator.Worker;
using Orchestrator.Worker.Hosting;

namespace Orchestrator.Cli.Commands;

/// <summary>
/// <c>orchestrator worker</c>: a training worker that joins a coordinator and trains whatever job it is assigned. Every
/// setting of <c>Orchestrator:Worker</c> can also come from environment variables (<c>Orchestrator__Worker__Device</c>);
/// a flag given on the command line wins.
/// </summary>
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
            // Only flags given on the command line override the Orchestrator:Worker section; the rest keep its values.
            const string section = WorkerOptions.SectionName;
            var settings = new Dictionary<string, string?>();
            void Set<T>(Option<T> option, string key, Func<T, object?>? convert = null)
            {
                if (parse.GetResult(option) is not { Implicit: false }) return;
                var value = parse.GetValue(option)!; // given on the command line, so it has a value
                settings[$"{section}:{key}"] = Convert.ToString(convert is null ? value : convert(value), CultureInfo.InvariantCulture);
            }
            Set(coordinator, nameof(WorkerOptions.Coordinator));
            Set(device, nameof(WorkerOptions.Device));
            Set(threads, nameof(WorkerOptions.Threads));
            Set(workerId, nameof(WorkerOptions.WorkerId));
            Set(advertise, nameof(WorkerOptions.AdvertisedHost));
            Set(port, nameof(WorkerOptions.CollectivePort));
            Set(metricsPort, nameof(WorkerOptions.MetricsPort));
            Set(peakTflops, nameof(WorkerOptions.PeakFlops), tflops => tflops * 1e12);
            Set(exitAfterJob, nameof(WorkerOptions.ExitAfterJob));
            Set(lossTimeout, nameof(WorkerOptions.CoordinatorLossTimeout), seconds => TimeSpan.FromSeconds(seconds).ToString("c", CultureInfo.InvariantCulture));
            if (ClusterTokenOption.Resolve(parse, clusterToken) is { } token) settings[$"{section}:{nameof(WorkerOptions.ClusterToken)}"] = token;
            foreach (var (key, value) in tls.ToSettings(parse, $"{section}:{nameof(WorkerOptions.Tls)}")) settings[key] = value;
            foreach (var (key, value) in ConsoleLogging.AsSettings(parse.GetValue(verbose))) settings[key] = value;
            await using var host = WorkerHost.Create([], settings);
            await host.RunAsync(cancellationToken);
            return 0;
        });
        return command;
    }
}
