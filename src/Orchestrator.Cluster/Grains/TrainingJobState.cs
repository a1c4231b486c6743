using Orchestrator.Cluster.Grains.Abstractions;

namespace Orchestrator.Cluster.Grains;

/// <summary>Persistent state of <see cref="TrainingJobGrain"/>; <see cref="Spec"/> is null until the job is submitted.</summary>
[GenerateSerializer, Alias("Orchestrator.TrainingJobState")]
public sealed class TrainingJobState
{
    [Id(0)] public JobSpec? Spec { get; set; }

    [Id(1)] public JobState State { get; set; }

    /// <summary>How many times the job has formed; the current attempt is this minus one.</summary>
    [Id(2)] public int Formations { get; set; }

    [Id(3)] public int RestartsUsed { get; set; }

    [Id(4)] public List<JobMember> Members { get; set; } = [];

    [Id(5)] public long Step { get; set; }

    [Id(6)] public double? LastLoss { get; set; }

    [Id(7)] public double TokensPerSecond { get; set; }

    [Id(8)] public CheckpointRecord? LatestCheckpoint { get; set; }

    [Id(9)] public string? FailureReason { get; set; }

    [Id(10)] public List<JobTransition> History { get; set; } = [];

    [Id(11)] public long Version { get; set; }

    [Id(12)] public DateTimeOffset SubmittedUtc { get; set; }

    [Id(13)] public DateTimeOffset UpdatedUtc { get; set; }

    /// <summary>When the current formation started, for the ready timeout.</summary>
    [Id(14)] public DateTimeOffset FormedUtc { get; set; }

    /// <summary>Since when the job (Pending or Recovering) has been waiting for enough free live workers; null once formed.</summary>
    [Id(15)] public DateTimeOffset? WaitingSinceUtc { get; set; }

    /// <summary>The visible reason for the wait (free workers against the minimum), shown by <c>orchestrator status</c>.</summary>
    [Id(16)] public string? WaitingReason { get; set; }

    /// <summary>Members of the formation that was lost, for the error when no replacements come.</summary>
    [Id(17)] public int LostFormationSize { get; set; }

    /// <summary>Members of the lost formation, to name the ones that never checked in again when the job re-forms.</summary>
    [Id(18)] public List<JobMember> LostMembers { get; set; } = [];

    /// <summary>When the last formation was lost: only workers heard from after it are claimed while recovering.</summary>
    [Id(19)] public DateTimeOffset? FailedUtc { get; set; }

    /// <summary>Workers that reported they cannot run this job (bad local data, mismatched checkpoint): never claimed for it again.</summary>
    [Id(20)] public List<string> ExcludedWorkers { get; set; } = [];
}
