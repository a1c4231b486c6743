namespace Orchestrator.Cluster.Grains.Abstractions;

/// <summary>One worker in the current formation of a job (worker id → rank, plus what the job tracks about it).</summary>
[GenerateSerializer, Immutable, Alias("Orchestrator.JobMember")]
public sealed record JobMember
{
    [Id(0)] public string WorkerId { get; init; } = "";

    [Id(1)] public int Rank { get; init; }

    [Id(2)] public string GrpcEndpoint { get; init; } = "";

    /// <summary>The worker's registration count when it was claimed; a different one later means the process restarted.</summary>
    [Id(3)] public int Incarnation { get; init; }

    [Id(4)] public bool Ready { get; init; }

    [Id(5)] public long Step { get; init; }

    [Id(6)] public double TokensPerSecond { get; init; }

    /// <summary>Its step time, all-reduce wait and send wait over its last log interval; null until it reports one.</summary>
    [Id(7)] public StepTiming? Timing { get; init; }

    /// <summary>The address the worker advertised, so a status or a failure names the machine to look at.</summary>
    public string Host => Uri.TryCreate(GrpcEndpoint, UriKind.Absolute, out var uri) ? uri.Host : GrpcEndpoint;
}
