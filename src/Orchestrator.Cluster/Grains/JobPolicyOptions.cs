using Microsoft.Extensions.Options;

namespace Orchestrator.Cluster.Grains;

/// <summary>
/// Timing and retention rules the job grains follow, bound from <c>Orchestrator:Jobs</c>. The defaults suit
/// workers that heartbeat about once a second.
/// </summary>
public sealed class JobPolicyOptions
{
    public const string SectionName = "Orchestrator:Jobs";

    /// <summary>How often a live job retries forming and checks its members' liveness.</summary>
    public TimeSpan MonitorInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A worker not heard from for this long is neither claimed nor kept as a member.</summary>
    public TimeSpan WorkerLivenessTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a recovering job waits for all surviving members of the lost formation to check in before it re-forms
    /// with fewer (it re-forms at once when all of them have). Workers heartbeat twice a second, so survivors check in
    /// well within the default; a member that did not is named in the log and left out.
    /// </summary>
    public TimeSpan RecoveryGrace { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>How long a forming job waits for every member to confirm it is ready (data load, model build, server start).</summary>
    public TimeSpan ReadyTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long a Recovering job waits for enough free live workers (its min_workers) before it fails with an error
    /// naming how many it had and needed. Pending jobs wait without limit: nothing has been lost yet.
    /// </summary>
    public TimeSpan ReplacementTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Newest checkpoints each job keeps (the best one is kept in addition).</summary>
    public int CheckpointsToKeep { get; set; } = 3;
}

/// <summary>Refuses unusable <see cref="JobPolicyOptions"/> at start, naming the configuration key.</summary>
public sealed class JobPolicyOptionsValidator : IValidateOptions<JobPolicyOptions>
{
    public ValidateOptionsResult Validate(string? name, JobPolicyOptions options)
    {
        var errors = new List<string>();
        if (options.MonitorInterval <= TimeSpan.Zero)
        {
            errors.Add($"{JobPolicyOptions.SectionName}:MonitorInterval is {options.MonitorInterval}: it must be positive, e.g. 00:00:01");
        }

        if (options.WorkerLivenessTimeout <= options.MonitorInterval)
        {
            errors.Add($"{JobPolicyOptions.SectionName}:WorkerLivenessTimeout is {options.WorkerLivenessTimeout}: it must exceed MonitorInterval ({options.MonitorInterval})");
        }

        if (options.ReadyTimeout <= TimeSpan.Zero)
        {
            errors.Add($"{JobPolicyOptions.SectionName}:ReadyTimeout is {options.ReadyTimeout}: it must be positive, e.g. 00:05:00");
        }

        if (options.ReplacementTimeout <= TimeSpan.Zero)
        {
            errors.Add($"{JobPolicyOptions.SectionName}:ReplacementTimeout is {options.ReplacementTimeout}: it must be positive, e.g. 00:10:00");
        }

        if (options.CheckpointsToKeep < 1)
        {
            errors.Add($"{JobPolicyOptions.SectionName}:CheckpointsToKeep is {options.CheckpointsToKeep}: keep at least 1");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
