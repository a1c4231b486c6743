using System.Text.Json;
using System.Text.Json.Serialization;
using Orchestrator.Cluster.Grains.Abstractions;

namespace Orchestrator.Cli.Commands;

/// <summary>
/// <c>status --json</c>: a job's whole status (members, history, checkpoint) as one JSON line, with enum names, so a
/// script or a test in another network namespace can read what the control API returns without a gRPC client.
/// </summary>
public static class JobStatusJson
{
    public static readonly JsonSerializerOptions Options = new() { Converters = { new JsonStringEnumConverter() } };

    public static string Serialize(JobStatus status) => JsonSerializer.Serialize(status, Options);

    public static JobStatus Deserialize(string line) =>
        JsonSerializer.Deserialize<JobStatus>(line, Options) ?? throw new JsonException("status --json printed null");
}
