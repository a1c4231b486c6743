using Orchestrator.Cluster.Grains.Abstractions;

namespace Orchestrator.Cluster.Grains;

/// <summary>Persistent state of <see cref="WorkerGrain"/>.</summary>
[GenerateSerializer, Alias("Orchestrator.WorkerGrainState")]
public sealed class WorkerGrainState
{
    [Id(0)] public WorkerInfo? Info { get; set; }

    [Id(1)] public int Incarnation { get; set; }

    [Id(2)] public DateTimeOffset? LastSeenUtc { get; set; }

    [Id(3)] public long Step { get; set; }

    [Id(4)] public WorkerDirective Directive { get; set; } = WorkerDirective.Idle;

    [Id(5)] public string? LastError { get; set; }
}
