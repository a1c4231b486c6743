namespace Orchestrator.Cluster.Grains.Abstractions;

/// <summary>One entry of a job's history. <see cref="From"/> is null for the submission itself.</summary>
[GenerateSerializer, Immutable, Alias("Orchestrator.JobTransition")]
public sealed record JobTransition
{
    [Id(0)] public JobState? From { get; init; }

    [Id(1)] public JobState To { get; init; }

    [Id(2)] public DateTimeOffset AtUtc { get; init; }

    [Id(3)] public string Reason { get; init; } = "";
}
