using System.Net;
using Orchestrator.Training;

namespace Orchestrator.Serving;

/// <summary>
/// Everything <c>orchestrator serve</c> takes. Limits are explicit so an overloaded server answers 429 quickly instead of
/// queueing without bound, and so one request cannot hold a batch slot for hours.
/// </summary>
public sealed record ServingOptions
{
    /// <summary>A checkpoint directory, a <c>latest</c>/<c>best</c> pointer, a run's <c>checkpoints/</c> or a run directory.</summary>
    public required string CheckpointPath { get; init; }

    /// <summary>HTTP/1.1 port for the OpenAI-style API, health, metrics and the playground; 0 picks a free port.</summary>
    public int Port { get; init; } = 8000;

    /// <summary>HTTP/2 (cleartext) port for gRPC; null means <see cref="Port"/> + 1, or a free port when <see cref="Port"/> is 0.</summary>
    public int? GrpcPort { get; init; }

    /// <summary>Address to bind: loopback by default; <c>0.0.0.0</c> to accept other machines (e.g. in a container).</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary><c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>Most sequences decoded together in one forward (each choice of each request is one sequence).</summary>
    public int MaxBatch { get; init; } = 8;

    /// <summary>Most sequences waiting for a batch slot; a request that would exceed it is refused with 429 / RESOURCE_EXHAUSTED.</summary>
    public int QueueCapacity { get; init; } = 64;

    /// <summary>Intra-op threads for libtorch; 0 keeps libtorch's default (one per core).</summary>
    public int Threads { get; init; }

    /// <summary>The largest <c>max_tokens</c> a request may ask for.</summary>
    public int MaxTokensLimit { get; init; } = 2048;

    /// <summary>The name clients pass as <c>model</c>; null means the run directory's name (or the checkpoint's).</summary>
    public string? ModelName { get; init; }

    /// <summary>Throws <see cref="InvalidServingOptionsException"/> naming the first bad option and how to fix it.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(CheckpointPath))
            throw new InvalidServingOptionsException("checkpoint path is empty: pass a checkpoint directory or a run directory");
        if (Port is < 0 or > IPEndPoint.MaxPort)
            throw new InvalidServingOptionsException($"port {Port} is out of range: use 1-65535, or 0 for a free port");
        if (GrpcPort is < 0 or > IPEndPoint.MaxPort)
            throw new InvalidServingOptionsException($"grpc port {GrpcPort} is out of range: use 1-65535, or 0 for a free port");
        if (Port == IPEndPoint.MaxPort && GrpcPort is null)
            throw new InvalidServingOptionsException($"port {Port} leaves no room for the gRPC port (port + 1): pass a gRPC port explicitly");
        if (Port != 0 && EffectiveGrpcPort == Port)
            throw new InvalidServingOptionsException($"the HTTP and gRPC ports are both {Port}: HTTP/1.1 and cleartext HTTP/2 need separate ports");
        if (!IPAddress.TryParse(Host, out _))
            throw new InvalidServingOptionsException($"host '{Host}' is not an IP address: use 127.0.0.1, 0.0.0.0 or a local interface's address");
        if (!TorchDevices.IsWellFormed(Device))
            throw new InvalidServingOptionsException($"device '{Device}' is not recognised: use cpu, cuda or cuda:N");
        if (MaxBatch < 1)
            throw new InvalidServingOptionsException($"max batch {MaxBatch} must be at least 1");
        if (QueueCapacity < 0)
            throw new InvalidServingOptionsException($"queue capacity {QueueCapacity} must be zero (no waiting) or positive");
        if (Threads < 0)
            throw new InvalidServingOptionsException($"threads {Threads} must be zero (libtorch's default) or positive");
        if (MaxTokensLimit < 1)
            throw new InvalidServingOptionsException($"max tokens limit {MaxTokensLimit} must be at least 1");
        if (ModelName is { } name && string.IsNullOrWhiteSpace(name))
            throw new InvalidServingOptionsException("model name is blank: leave it out to use the run's name");
    }

    /// <summary>The gRPC port after applying the default.</summary>
    public int EffectiveGrpcPort => GrpcPort ?? (Port == 0 ? 0 : Port + 1);
}

/// <summary>Serving options that cannot work; the message names the option and the fix.</summary>
public sealed class InvalidServingOptionsException(string message) : Exception(message);
