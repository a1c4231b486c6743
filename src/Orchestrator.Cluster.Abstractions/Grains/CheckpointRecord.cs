using System.Text.RegularExpressions;

namespace Orchestrator.Cluster.Grains.Abstractions;

/// <summary>
/// One saved checkpoint. A worker adds it only after the files are fully written and hashed, so every cataloged
/// record is complete; <see cref="Sha256"/> lets a resuming worker detect a corrupted or replaced file.
/// </summary>
[GenerateSerializer, Immutable, Alias("Orchestrator.CheckpointRecord")]
public sealed partial record CheckpointRecord
{
    [Id(0)] public long Step { get; init; }

    /// <summary>Checkpoint directory or file, as the workers see it.</summary>
    [Id(1)] public string Path { get; init; } = "";

    /// <summary>Lower-case hex SHA-256 of the checkpoint's main file (64 characters).</summary>
    [Id(2)] public string Sha256 { get; init; } = "";

    /// <summary>Validation loss at this step, when it was evaluated; the lowest one is the "best" checkpoint.</summary>
    [Id(3)] public double? ValLoss { get; init; }

    [Id(4)] public DateTimeOffset SavedUtc { get; init; }

    /// <summary>Throws <see cref="WorkerProtocolException"/> naming the field at fault.</summary>
    public void Validate(string jobId)
    {
        if (Step < 0)
        {
            throw new WorkerProtocolException($"checkpoint for job '{jobId}' has step {Step}: steps count from 0");
        }

        if (string.IsNullOrWhiteSpace(Path))
        {
            throw new WorkerProtocolException($"checkpoint for job '{jobId}' at step {Step} has no path");
        }

        if (!Sha256Pattern().IsMatch(Sha256))
        {
            throw new WorkerProtocolException(
                $"checkpoint '{Path}' of job '{jobId}' has sha256 '{Sha256}': pass the 64 lower-case hex digits of the finished file's hash");
        }

        if (ValLoss is { } loss && !double.IsFinite(loss))
        {
            throw new WorkerProtocolException($"checkpoint '{Path}' of job '{jobId}' has validation loss {loss}: omit it or pass a finite value");
        }
    }

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex Sha256Pattern();
}
