using Orchestrator.Cluster.Grains.Abstractions;

namespace Orchestrator.Cluster.Tests.Support;

/// <summary>
/// The workers and jobs of one grain test on the shared silo: workers with test-unique ids, tiny job specs, a job
/// brought to Running. On dispose it cancels the jobs it started that are still live, since a job left behind by a
/// failed test would otherwise claim the next test's workers, and then stops its workers.
/// </summary>
public sealed class JobScenario(IGrainFactory grains, string prefixLetter) : IAsyncDisposable
{
    private readonly List<TestWorker> _workers = [];
    private readonly List<ITrainingJobGrain> _jobs = [];

    /// <summary>Prepended to every worker id of this test, so tests sharing the registry never collide.</summary>
    public string Prefix { get; } = $"{prefixLetter}{Guid.NewGuid():N}"[..9];

    public async Task<TestWorker> WorkerAsync(string name, int port)
    {
        var worker = await TestWorker.StartAsync(grains, $"{Prefix}-{name}", port);
        _workers.Add(worker);
        return worker;
    }

    /// <summary>Cancels <paramref name="job"/> on dispose if it is still live (for a test that submits it itself).</summary>
    public void Track(ITrainingJobGrain job) => _jobs.Add(job);

    public static JobSpec Spec(int worldSize) => new()
    {
        JobId = $"job-{Guid.NewGuid():N}"[..16],
        DataDir = "/data/tiny",
        RunDir = "/runs/tiny",
        ConfigJson = "{}",
        WorldSize = worldSize,
    };

    /// <summary>Submits <paramref name="spec"/>, confirms every member ready for attempt 0 and checks the job is Running.</summary>
    public async Task<(JobSpec Spec, ITrainingJobGrain Job)> RunningJobAsync(JobSpec spec, params TestWorker[] members)
    {
        var job = grains.GetJob(spec.JobId);
        _jobs.Add(job);
        Assert.Equal(JobState.Forming, (await job.SubmitAsync(ValidJobSpec.From(spec))).State);
        var state = JobState.Forming;
        foreach (var member in members)
        {
            state = await job.ConfirmReadyAsync(member.Id, attempt: 0);
        }

        Assert.Equal(JobState.Running, state);
        return (spec, job);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var job in _jobs)
        {
            if (!(await job.GetStatusAsync()).IsTerminal)
            {
                await job.CancelAsync("test over: free its workers");
            }
        }

        foreach (var worker in _workers)
        {
            await worker.DisposeAsync();
        }
    }
}
