using System.Text.Json;
using Orchestrator.Cli.Commands;
using Orchestrator.Cluster.Grains.Abstractions;
using Orchestrator.EndToEnd.Tests.TestSupport;
using Orchestrator.TestSupport;

namespace Orchestrator.EndToEnd.Tests.MultiHost;

/// <summary>
/// What a user runs on several machines, on the hosts of a <see cref="ClusterInABox"/>: <c>orchestrator coordinator</c>
/// in "coord" advertising its namespace address, one <c>orchestrator worker</c> per host advertising that host's
/// address, data and run directories on the shared file system (as on NFS). The control API is reached only through
/// the CLI run inside a namespace (the test process's own network cannot see the box), as a script on another machine
/// would: <c>submit</c>, <c>status --json</c>.
/// </summary>
internal sealed class BoxCluster : IDisposable
{
    public const int GatewayPort = 30000, ControlPort = 5050, WorkerMetricsPort = 9464;
    private readonly List<ChildProcess> _processes = [];

    private BoxCluster(ClusterInABox box, string directory, TimeSpan livenessTimeout)
    {
        Box = box;
        Directory = System.IO.Directory.CreateDirectory(directory).FullName;
        CoordinatorAddress = box.Address("coord");
        Coordinator = StartInBox("coordinator", "coord",
            ["coordinator", "--advertise", CoordinatorAddress, "--state-dir", Path.Combine(Directory, "coordinator-state"),
             "--gateway-port", $"{GatewayPort}", "--control-port", $"{ControlPort}"],
            new Dictionary<string, string>
            {
                ["Orchestrator__Jobs__WorkerLivenessTimeout"] = livenessTimeout.ToString("c"),
                ["Orchestrator__Jobs__MonitorInterval"] = TimeSpan.FromMilliseconds(250).ToString("c"),
                ["Orchestrator__Jobs__ReplacementTimeout"] = TimeSpan.FromMinutes(2).ToString("c"),
            });
        _processes.Add(Coordinator);
    }

    /// <summary>
    /// Starts the coordinator, waits until its control API answers (a silo takes many seconds to start on a loaded
    /// machine, and a worker gives up on a gateway that does not answer within 30 s), then one worker per host.
    /// </summary>
    public static async Task<BoxCluster> StartAsync(ClusterInABox box, string directory, TimeSpan livenessTimeout)
    {
        var cluster = new BoxCluster(box, directory, livenessTimeout);
        try
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
            while ((await box.CliAsync("coord", ["status", "--coordinator", cluster.ControlAddress])).ExitCode != 0)
            {
                if (DateTime.UtcNow > deadline || cluster.Coordinator.HasExited) Assert.Fail("the coordinator did not come up\n" + cluster.Describe());
                await Task.Delay(1000);
            }
            foreach (var host in box.Hosts) cluster.StartWorker(host);
            await cluster.WaitForWorkersAsync(deadline + TimeSpan.FromMinutes(2));
            return cluster;
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
    }

    // The box's exec replaces itself with ip netns exec, which replaces itself with dotnet: the pid is the CLI's.
    private ChildProcess StartInBox(string name, string host, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null) =>
        ChildProcess.Start(name, ClusterInABox.Script, [.. Box.Launcher(host).Skip(1), "dotnet", RepositoryPaths.CliDll, .. arguments],
            environment, AppContext.BaseDirectory);

    private void StartWorker(string host)
    {
        _processes.RemoveAll(p => p.Name == host && p.HasExited);
        _processes.Add(StartInBox(host, host,
            ["worker", "--coordinator", $"{CoordinatorAddress}:{GatewayPort}", "--worker-id", host, "--threads", "1",
             "--advertise-host", Box.Address(host), "--metrics-port", $"{WorkerMetricsPort}"]));
    }

    /// <summary>
    /// Waits until every host's worker is registered and alive. A worker gives up when the gateway does not answer
    /// within 30 s, which a starved silo on this shared machine sometimes fails to do; such a worker is started again,
    /// as a supervisor (systemd, Kubernetes) would.
    /// </summary>
    private async Task WaitForWorkersAsync(DateTime deadline)
    {
        while (true)
        {
            var listing = await Box.CliAsync("coord", ["status", "--coordinator", ControlAddress]);
            var alive = listing.StdoutLines.Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Where(parts => parts.Length > 1 && parts[1] == "yes").Select(parts => parts[0]).ToHashSet();
            if (Box.Hosts.All(alive.Contains)) return;
            if (DateTime.UtcNow > deadline) Assert.Fail($"workers not all registered ({string.Join(", ", alive)} alive)\n{Describe()}");
            foreach (var host in Box.Hosts.Where(h => !alive.Contains(h) && Worker(h).HasExited)) StartWorker(host);
            await Task.Delay(2000);
        }
    }

    /// <summary>Kills the worker of <paramref name="host"/>; the coordinator notices when its liveness timeout passes.</summary>
    public void StopWorker(string host) => Worker(host).KillHard();

    public ClusterInABox Box { get; }

    public string Directory { get; }

    public string CoordinatorAddress { get; }

    public string ControlAddress => $"{CoordinatorAddress}:{ControlPort}";

    public ChildProcess Coordinator { get; }

    public ChildProcess Worker(string host) => _processes.Single(p => p.Name == host);

    /// <summary>Writes <paramref name="job"/> and submits it with the CLI run inside <paramref name="fromHost"/>, retrying while the coordinator starts.</summary>
    public async Task SubmitAsync(object job, string fromHost)
    {
        var file = Path.Combine(Directory, $"job-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(job));
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (true)
        {
            var submitted = await Box.CliAsync(fromHost, ["submit", file, "--coordinator", ControlAddress]);
            if (submitted.ExitCode == 0) return;
            if (DateTime.UtcNow > deadline || Coordinator.HasExited) Assert.Fail(submitted.Describe() + Describe());
            await Task.Delay(1000);
        }
    }

    /// <summary><c>status JOB --json</c> run inside <paramref name="fromHost"/>; null while the coordinator cannot be reached.</summary>
    public async Task<JobStatus?> StatusAsync(string jobId, string fromHost = "coord")
    {
        var result = await Box.CliAsync(fromHost, ["status", jobId, "--coordinator", ControlAddress, "--json"]);
        return result.ExitCode == 0 && result.StdoutLines.Length > 0 ? JobStatusJson.Deserialize(result.LastStdoutLine) : null;
    }

    /// <summary>Polls the job (from the coordinator's own namespace) until <paramref name="condition"/> holds.</summary>
    public async Task<JobStatus> WaitForAsync(string jobId, Func<JobStatus, bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        JobStatus? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = await StatusAsync(jobId) ?? last;
            if (last is not null && condition(last)) return last;
            if (last is { IsTerminal: true }) Assert.Fail($"job {jobId} ended {last.State} ({last.FailureReason}) while waiting for {what}\n{Describe()}");
            if (Coordinator.HasExited || _processes.Skip(1).All(p => p.HasExited)) Assert.Fail($"the cluster's processes exited while waiting for {what}\n{Describe()}");
            await Task.Delay(500);
        }
        Assert.Fail($"timed out after {timeout} waiting for {what}; last status {last?.State} step {last?.Step}\n{Describe()}");
        return last!;
    }

    public Task<JobStatus> WaitForCompletionAsync(string jobId, TimeSpan timeout) =>
        WaitForAsync(jobId, s => s.State == JobState.Completed, timeout, "completion");

    /// <summary>The Prometheus exposition of <paramref name="host"/>'s worker, fetched from inside that host as a scraper on its network would.</summary>
    public async Task<string> ScrapeWorkerAsync(string host)
    {
        var result = await ExternalProcess.RunAsync(ClusterInABox.Script,
            [.. Box.Launcher(host).Skip(1), "curl", "-sS", "--max-time", "20", $"http://{Box.Address(host)}:{WorkerMetricsPort}/metrics"]);
        Assert.True(result.ExitCode == 0, result.Describe());
        return result.Stdout;
    }

    public string Describe() => string.Join('\n', _processes.Select(p => p.Describe()));

    public void Dispose()
    {
        foreach (var process in _processes) process.Dispose();
    }
}
