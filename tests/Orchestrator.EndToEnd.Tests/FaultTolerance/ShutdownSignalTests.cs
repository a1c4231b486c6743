using System.Diagnostics;
using Orchestrator.Cluster.Grains.Abstractions;
using Orchestrator.EndToEnd.Tests.TestSupport;
using Orchestrator.Training.Checkpoints;
using Xunit.Abstractions;

namespace Orchestrator.EndToEnd.Tests.FaultTolerance;

/// <summary>
/// What a process manager expects of <c>coordinator</c> and <c>worker</c>: SIGTERM (docker stop, pod deletion) ends
/// them promptly and cleanly, a worker leaves only whole checkpoints behind, the coordinator's jobs survive into its
/// next start, and standard output stays free of logs (Orleans' own at Warning unless <c>--verbose</c>).
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class ShutdownSignalTests(ITestOutputHelper output) : IDisposable
{
    /// <summary>Far above the few seconds a clean shutdown takes, far below "ignores SIGTERM" (which never exits).</summary>
    private static readonly TimeSpan ExitBound = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);
    private readonly TempDirectory _temp = new();

    [Fact]
    public async Task A_coordinator_exits_cleanly_on_SIGTERM_and_its_jobs_are_there_after_a_restart()
    {
        using var cluster = new LocalCluster(_temp.Sub("cluster"), TimeSpan.FromSeconds(10));
        // No worker: the job waits, Pending, in the coordinator's state.
        await cluster.SubmitAsync(FaultyRun.Job("kept", _temp.Sub("data"), _temp.Sub("run"), workers: 1, maxSteps: 10));
        Assert.Equal(JobState.Pending, (await cluster.Control.GetJobAsync("kept")).State);

        var elapsed = await TerminateAsync(cluster.Coordinator, cluster.Describe);
        output.WriteLine($"coordinator exited {elapsed.TotalSeconds:F1} s after SIGTERM");
        Assert.True(cluster.Coordinator.ExitCode == 0, cluster.Describe());
        Assert.True(cluster.Coordinator.StandardOutput.Length == 0, $"the coordinator printed to stdout:\n{cluster.Describe()}");

        cluster.RestartCoordinator();
        var restored = await cluster.WaitForAsync("kept", s => s.State == JobState.Pending, Patience, "the job after the restart");
        Assert.Equal("kept", restored.JobId);
    }

    [Fact]
    public async Task A_worker_exits_cleanly_on_SIGTERM_mid_training_leaving_only_whole_checkpoints()
    {
        var data = await SmallCorpus.PrepareAsync(SmallCorpus.Write(_temp.Sub("corpus.txt")), _temp.Sub("data"), "--tokenizer", "char");
        using var cluster = new LocalCluster(_temp.Sub("cluster"), TimeSpan.FromSeconds(10));
        var worker = cluster.AddWorker("term-w0");
        var run = _temp.Sub("run");
        await cluster.SubmitAsync(new
        {
            job_id = "terminated", data, run_dir = run, workers = 1,
            config = new
            {
                model = new { model = "gpt", n_layer = 2, n_head = 2, n_embd = 32, block_size = 32 },
                // A checkpoint every step, so SIGTERM is likely to land while one is being written.
                training = new { max_steps = 5000, batch_size = 4, checkpoint_interval = 1, keep_last_checkpoints = 2, eval_interval = 0, log_interval = 1, threads = 1 },
            },
        });
        await cluster.WaitForAsync("terminated", s => s.State == JobState.Running && s.Step >= 5, Patience, "step 5");

        var elapsed = await TerminateAsync(worker, cluster.Describe);
        output.WriteLine($"worker exited {elapsed.TotalSeconds:F1} s after SIGTERM");

        Assert.True(worker.ExitCode == 0, cluster.Describe());
        Assert.True(worker.StandardOutput.Length == 0, $"the worker printed to stdout:\n{worker.Describe()}");
        var checkpoints = Path.Combine(run, "checkpoints");
        var entries = Directory.EnumerateDirectories(checkpoints).Select(Path.GetFileName).ToList();
        Assert.DoesNotContain(entries, e => e!.StartsWith(CheckpointFiles.TemporaryPrefix, StringComparison.Ordinal));
        Assert.NotEmpty(entries);
        foreach (var entry in entries) CheckpointManifest.Verify(Path.Combine(checkpoints, entry!)); // throws naming a damaged file
        Assert.Equal(File.ReadAllText(Path.Combine(checkpoints, "latest")).Trim(), Path.GetFileName(Checkpoint.Load(run).Directory));
    }

    [Fact]
    public async Task Orleans_logs_only_warnings_unless_verbose_and_never_on_stdout()
    {
        using var quiet = new LocalCluster(_temp.Sub("quiet"), TimeSpan.FromSeconds(10));
        await quiet.WaitForCoordinatorAsync(Patience);
        using var verbose = new LocalCluster(_temp.Sub("verbose"), TimeSpan.FromSeconds(10), "--verbose");
        await verbose.WaitForCoordinatorAsync(Patience);
        await TerminateAsync(quiet.Coordinator, quiet.Describe);
        await TerminateAsync(verbose.Coordinator, verbose.Describe);

        var quietOrleans = OrleansInformation(quiet.Coordinator.Log);
        var verboseOrleans = OrleansInformation(verbose.Coordinator.Log);
        output.WriteLine($"Orleans information lines: {quietOrleans} quiet, {verboseOrleans} with --verbose");
        Assert.True(quietOrleans == 0, quiet.Describe());
        Assert.True(verboseOrleans > 10, verbose.Describe());
        Assert.True(quiet.Coordinator.StandardOutput.Length == 0, quiet.Describe());
        Assert.True(verbose.Coordinator.StandardOutput.Length == 0, $"--verbose logs went to stdout:\n{verbose.Coordinator.StandardOutput[..Math.Min(2000, verbose.Coordinator.StandardOutput.Length)]}");
    }

    /// <summary>Single-line console entries at Information from an Orleans category ("info: Orleans.Runtime.Silo[...]").</summary>
    private static int OrleansInformation(string log) =>
        log.Split('\n').Count(l => l.Contains("info: Orleans", StringComparison.Ordinal));

    private static async Task<TimeSpan> TerminateAsync(ChildProcess process, Func<string> describe)
    {
        var clock = Stopwatch.StartNew();
        process.Terminate();
        using var deadline = new CancellationTokenSource(ExitBound);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"{process.Name} was still running {ExitBound.TotalSeconds:F0} s after SIGTERM\n{describe()}");
        }
        return clock.Elapsed;
    }

    public void Dispose() => _temp.Dispose();
}
