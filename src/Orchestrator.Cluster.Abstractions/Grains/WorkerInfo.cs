namespace Orchestrator.Cluster.Grains.Abstractions;

/// <summary>What a worker process tells the coordinator about itself when it registers.</summary>
[GenerateSerializer, Immutable, Alias("Orchestrator.WorkerInfo")]
public sealed record WorkerInfo
{
    /// <summary>Machine name, for operators.</summary>
    [Id(0)] public string Host { get; init; } = "";

    /// <summary>"HOST:PORT" where this worker's collective gRPC server listens; its ring peers dial it.</summary>
    [Id(1)] public string GrpcEndpoint { get; init; } = "";

    /// <summary>Training device, e.g. "cpu" or "cuda:0".</summary>
    [Id(2)] public string Device { get; init; } = "cpu";

    /// <summary>Intra-op threads the worker trains with.</summary>
    [Id(3)] public int Threads { get; init; } = 1;

    /// <summary>Process id, so a restarted process can be told apart in logs.</summary>
    [Id(4)] public int Pid { get; init; }

    /// <summary>Throws <see cref="WorkerProtocolException"/> naming the field at fault.</summary>
    public void Validate(string workerId)
    {
        if (string.IsNullOrWhiteSpace(GrpcEndpoint) || !GrpcEndpoint.Contains(':', StringComparison.Ordinal))
        {
            throw new WorkerProtocolException(
                $"worker '{workerId}' registered with gRPC endpoint '{GrpcEndpoint}': pass the HOST:PORT its collective server listens on");
        }

        if (Threads < 1)
        {
            throw new WorkerProtocolException($"worker '{workerId}' registered with {Threads} threads: it must be at least 1");
        }
    }
}
