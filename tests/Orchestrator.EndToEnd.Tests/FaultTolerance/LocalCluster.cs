using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Orchestrator.Cluster.Control;
using Orchestrator.Cluster.Grains.Abstractions;
using Orchestrator.EndToEnd.Tests.TestSupport;

namespace Orchestrator.EndToEnd.Tests.FaultTolerance;

/// <summary>
/// A coordinator process and worker processes of the real CLI on loopback, with short liveness timeouts so failures
/// are noticed in seconds: what a user gets from <c>orchestrator coordinator</c> and <c>orchestrator worker</c> on
/// several machines, with kill switches. Jobs are submitted with <c>orchestrator submit</c>; state is read through
/// the control API.
/// </summary>
internal sealed class LocalCluster : IDisposable
{
    private readonly int _silo, _gateway, _control, _health;
    private readonly List<ChildProcess> _workers = [];
    private readonly List<ChildProcess> _retired = [];
    private readonly Dictionary<string, string> _coordinatorEnvironment;
    private readonly string[] _coordinatorFlags;

    /// <summary>A cluster in <paramref name="directory"/>; every coordinator it starts also gets <paramref name="coordinatorFlags"/> (e.g. <c>--verbose</c>).</summary>
    /// <param name="directory">Where state, jobs and logs go.</param>
    /// <param name="livenessTimeout">How long a silent worker counts as alive.</param>
    /// <param name="coordinatorFlags">Extra coordinator flags.</param>
    public LocalCluster(string directory, TimeSpan livenessTimeout, params string[] coordinatorFlags)
    {
        _coordinatorFlags = coordinatorFlags;
        Directory = System.IO.Directory.CreateDirectory(directory).FullName;
        var ports = FreePorts(4);
        (_silo, _gateway, _control, _health) = (ports[0], ports[1], ports[2], ports[3]);
        _coordinatorEnvironment = new()
        {
            ["Orchestrator__Jobs__WorkerLivenessTimeout"] = livenessTimeout.ToString("c"),
            ["Orchestrator__Jobs__MonitorInterval"] = TimeSpan.FromMilliseconds(250).ToString("c"),
            ["Orchestrator__Jobs__ReplacementTimeout"] = ReplacementTimeout.ToString("c"),
        };
        Coordinator = StartCoordinator();
        Control = ControlClient.Connect($"127.0.0.1:{_control}");
    }

    /// <summary>How long a recovering job of this cluster waits for replacement workers before it fails.</summary>
    public static readonly TimeSpan ReplacementTimeout = TimeSpan.FromSeconds(15);

    public string Directory { get; }

    public ChildProcess Coordinator { get; private set; }

    public ControlClient Control { get; }

    public string ControlAddress => $"127.0.0.1:{_control}";

    /// <summary>The Orleans gateway workers connect to.</summary>
    public string GatewayAddress => $"127.0.0.1:{_gateway}";

    public IReadOnlyList<ChildProcess> Workers => _workers;

    /// <summary>Starts <c>orchestrator worker</c> with one libtorch thread, id <paramref name="workerId"/> and <paramref name="extra"/> flags.</summary>
    public ChildProcess AddWorker(string workerId, params string[] extra)
    {
        var worker = ChildProcess.Cli(workerId,
            ["worker", "--coordinator", GatewayAddress, "--worker-id", workerId, "--threads", "1", .. extra]);
        _workers.Add(worker);
        return worker;
    }

    /// <summary>SIGKILLs the coordinator and starts a new one on the same ports and state directory.</summary>
    public void RestartCoordinator()
    {
        Coordinator.KillHard();
        _retired.Add(Coordinator);
        Coordinator = StartCoordinator();
    }

    /// <summary>Writes <paramref name="job"/> (the JSON of a job file) and submits it with the CLI.</summary>
    public async Task SubmitAsync(object job)
    {
        await WaitForCoordinatorAsync(TimeSpan.FromMinutes(1));
        var file = Path.Combine(Directory, $"job-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(job));
        var submitted = await OrchestratorCli.RunAsync("submit", file, "--coordinator", ControlAddress);
        Assert.True(submitted.ExitCode == 0, submitted.Describe() + Describe());
    }

    /// <summary>Waits until the coordinator's control API answers (it takes a few seconds to start).</summary>
    public async Task WaitForCoordinatorAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                await Control.ListJobsAsync();
                return;
            }
            catch (Exception) when (DateTime.UtcNow < deadline && !Coordinator.HasExited)
            {
                await Task.Delay(200);
            }
            catch (Exception e)
            {
                Assert.Fail($"the coordinator did not come up: {e.Message}\n{Describe()}");
            }
        }
    }

    /// <summary>Polls the job until <paramref name="condition"/> holds; fails with every process's output on timeout or when the job ends otherwise.</summary>
    public async Task<JobStatus> WaitForAsync(string jobId, Func<JobStatus, bool> condition, TimeSpan timeout, string what)
    {
        using var deadline = new CancellationTokenSource(timeout);
        JobStatus? last = null;
        while (!deadline.IsCancellationRequested)
        {
            try
            {
                last = await Control.GetJobAsync(jobId, deadline.Token);
                if (condition(last)) return last;
                if (last.IsTerminal) Assert.Fail($"job {jobId} ended {last.State} ({last.FailureReason}) while waiting for {what}\n{Describe()}");
            }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException && !deadline.IsCancellationRequested)
            {
                // The coordinator is starting or restarting: ask again.
            }
            await Task.Delay(100, CancellationToken.None);
        }
        Assert.Fail($"timed out after {timeout} waiting for {what}; last status {last?.State} step {last?.Step}\n{Describe()}");
        return last!;
    }

    public Task<JobStatus> WaitForCompletionAsync(string jobId, TimeSpan timeout) =>
        WaitForAsync(jobId, s => s.State == JobState.Completed, timeout, "completion");

    /// <summary>Every process's output, for failure messages.</summary>
    public string Describe() => string.Join('\n', new[] { Coordinator }.Concat(_retired).Concat(_workers).Select(p => p.Describe()));

    private ChildProcess StartCoordinator() => ChildProcess.Cli("coordinator",
        ["coordinator", "--state-dir", Path.Combine(Directory, "coordinator-state"), "--silo-port", $"{_silo}", "--gateway-port", $"{_gateway}", "--control-port", $"{_control}", "--health-port", $"{_health}", .. _coordinatorFlags],
        _coordinatorEnvironment);

    /// <summary>
    /// Distinct free ports below Linux's ephemeral range (32768+), so no process binding port 0 (every worker's
    /// collective server, every outgoing connection) can take one between this check and the coordinator's start.
    /// </summary>
    private static int[] FreePorts(int count)
    {
        var ports = new List<int>();
        while (ports.Count < count)
        {
            var port = Random.Shared.Next(20_000, 32_000);
            if (ports.Contains(port)) continue;
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                ports.Add(port);
            }
            catch (SocketException)
            {
                // Taken: draw another.
            }
        }
        return ports.ToArray();
    }

    public void Dispose()
    {
        Control.Dispose();
        foreach (var process in _workers.Concat(_retired).Append(Coordinator)) process.Dispose();
    }
}
