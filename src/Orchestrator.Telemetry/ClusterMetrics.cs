using System.Diagnostics.Metrics;

namespace Orchestrator.Telemetry;

/// <summary>
/// The coordinator's series (meter <see cref="OrchestratorMeters.Cluster"/>): workers alive and expected, each job's
/// state (one series per state, 1 for the current one), recoveries, step and checkpoint age. Values come from the
/// latest <see cref="ClusterSnapshot"/>, which the coordinator refreshes in the background; a scrape never calls a grain.
/// </summary>
public sealed class ClusterMetrics
{
    private readonly IReadOnlyList<string> _states;
    private readonly TimeProvider _clock;
    private volatile ClusterSnapshot _snapshot = new();

    /// <summary>
    /// <paramref name="states"/> names every job state, so a job exports 0 for the states it is not in;
    /// <paramref name="clock"/> dates checkpoint ages (tests pass a fake one).
    /// </summary>
    public ClusterMetrics(IReadOnlyList<string> states, IMeterFactory? meterFactory = null, TimeProvider? clock = null)
    {
        _states = states;
        _clock = clock ?? TimeProvider.System;
        var meter = meterFactory?.Create(OrchestratorMeters.Cluster) ?? new Meter(OrchestratorMeters.Cluster);
        meter.CreateObservableGauge("orchestrator.cluster.workers_alive", () => _snapshot.WorkersAlive, null,
            "Registered workers that heartbeated within the liveness timeout.");
        meter.CreateObservableGauge("orchestrator.cluster.workers_registered", () => _snapshot.WorkersRegistered, null,
            "Registered workers, live or not.");
        meter.CreateObservableGauge("orchestrator.cluster.workers_expected", () => _snapshot.Jobs.Where(j => j.IsActive).Sum(j => j.WorkersExpected), null,
            "Workers the active jobs ask for (sum of their world sizes).");
        meter.CreateObservableGauge("orchestrator.job.workers_expected", () => PerJob(j => j.WorkersExpected), null, "World size of the job.");
        meter.CreateObservableGauge("orchestrator.job.workers_alive", () => PerJob(j => j.WorkersAlive), null, "Members of the job's current attempt that are alive.");
        meter.CreateObservableGauge("orchestrator.job.state", JobStates, null, "1 for the job's current state, 0 for the others.");
        meter.CreateObservableCounter("orchestrator.job.recoveries", () => PerJob(j => j.Recoveries), "{recovery}",
            "Times the job re-formed from its latest checkpoint after losing a member.");
        meter.CreateObservableGauge("orchestrator.job.step", () => PerJob(j => j.Step), null, "Last step the job reported.");
        meter.CreateObservableGauge("orchestrator.job.checkpoint_age", CheckpointAges, "s", "Seconds since the job's latest checkpoint was saved.");
    }

    public void Update(ClusterSnapshot snapshot) => _snapshot = snapshot;

    private IEnumerable<Measurement<T>> PerJob<T>(Func<JobSnapshot, T> value) where T : struct =>
        _snapshot.Jobs.Select(j => new Measurement<T>(value(j), new KeyValuePair<string, object?>(MetricLabels.JobId, j.JobId)));

    private IEnumerable<Measurement<int>> JobStates() =>
        _snapshot.Jobs.SelectMany(j => _states.Select(s => new Measurement<int>(s == j.State ? 1 : 0,
            new KeyValuePair<string, object?>(MetricLabels.JobId, j.JobId), new KeyValuePair<string, object?>(MetricLabels.State, s))));

    private IEnumerable<Measurement<double>> CheckpointAges()
    {
        var now = _clock.GetUtcNow();
        return _snapshot.Jobs.Where(j => j.LatestCheckpointUtc is not null).Select(j => new Measurement<double>(
            Math.Max(0, (now - j.LatestCheckpointUtc!.Value).TotalSeconds), new KeyValuePair<string, object?>(MetricLabels.JobId, j.JobId)));
    }
}
