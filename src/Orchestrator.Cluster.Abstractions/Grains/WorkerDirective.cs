namespace Orchestrator.Cluster.Grains.Abstractions;

/// <summary>
/// The answer to a worker's poll or heartbeat. <see cref="Assignment"/> is set for Prepare and Run;
/// <see cref="JobId"/> and <see cref="Reason"/> for Stop. A Stop stays visible until the next assignment
/// replaces it, so a worker ignores a Stop for a job it is not running.
/// </summary>
[GenerateSerializer, Immutable, Alias("Orchestrator.WorkerDirective")]
public sealed record WorkerDirective
{
    [Id(0)] public WorkerDirectiveKind Kind { get; init; }

    [Id(1)] public WorkerAssignment? Assignment { get; init; }

    [Id(2)] public string? JobId { get; init; }

    [Id(3)] public string? Reason { get; init; }

    public static WorkerDirective Idle { get; } = new() { Kind = WorkerDirectiveKind.Idle };
}
