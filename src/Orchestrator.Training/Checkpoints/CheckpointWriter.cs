using System.Text.Json;
using Orchestrator.Data.Tokenizers;
using Orchestrator.Models;
using Orchestrator.Training.Optimization;
using Orchestrator.Common.Storage;

namespace Orchestrator.Training.Checkpoints;

/// <summary>What goes into one checkpoint; <c>Compressor</c> is PowerSGD's state (every rank's errors gathered), or null when the run does not use it.</summary>
public sealed record CheckpointContent(LanguageModel Model, AdamW Optimizer, TrainerState State, RunConfig Config, string TokenizerDirectory,
    IReadOnlyList<TensorBytes>? Compressor = null);

/// <summary>
/// Writes one checkpoint (layout in <see cref="CheckpointFiles"/>) into a temporary sibling directory, flushes every
/// file, writes the manifest last and renames the directory into place, so a crash at any moment leaves either the
/// complete checkpoint or a <c>.tmp-</c> directory that nothing reads.
/// </summary>
public sealed class CheckpointWriter(string checkpointsDirectory)
{
    internal static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    public string CheckpointsDirectory { get; } = checkpointsDirectory;

    /// <summary>Snapshots <paramref name="content"/> and writes it; the caller waits for the files (see <see cref="BackgroundCheckpointWriter"/> for not waiting).</summary>
    public string Write(CheckpointContent content, CancellationToken cancellationToken = default) =>
        Write(CheckpointSnapshot.Capture(content), cancellationToken);

    /// <summary>Writes the checkpoint for <c>snapshot.Step</c> and returns its final directory. Safe on any thread: it touches no tensor.</summary>
    public string Write(CheckpointSnapshot snapshot, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(CheckpointsDirectory);
        var name = CheckpointFiles.DirectoryName(snapshot.Step);
        var temporary = Path.Combine(CheckpointsDirectory, $"{CheckpointFiles.TemporaryPrefix}{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temporary);
        try
        {
            var files = new List<string>();
            void Add(string fileName, Action<Stream> write)
            {
                cancellationToken.ThrowIfCancellationRequested();
                DurableFiles.Write(Path.Combine(temporary, fileName), write);
                files.Add(fileName);
            }

            Add(CheckpointFiles.Model, stream => SafetensorsFile.Write(stream, snapshot.Weights));
            Add(CheckpointFiles.OptimizerMoments, stream => SafetensorsFile.Write(stream, snapshot.Moments));
            Add(CheckpointFiles.OptimizerState, stream => JsonSerializer.Serialize(stream, snapshot.Optimizer, JsonOptions));
            Add(CheckpointFiles.TrainerState, stream => JsonSerializer.Serialize(stream, snapshot.State, JsonOptions));
            if (snapshot.Compressor is { } compressor)
                Add(CheckpointFiles.Compressor, stream => SafetensorsFile.Write(stream, compressor));
            Add(CheckpointFiles.Config, stream => JsonSerializer.Serialize(stream, snapshot.Config, RunConfig.JsonOptions));
            foreach (var tokenizerFile in TokenizerStore.FilesIn(snapshot.TokenizerDirectory))
            {
                var source = Path.Combine(snapshot.TokenizerDirectory, tokenizerFile);
                Add(Path.GetFileName(source), stream =>
                {
                    using var input = File.OpenRead(source);
                    input.CopyTo(stream);
                });
            }

            cancellationToken.ThrowIfCancellationRequested();
            var manifest = CheckpointManifest.Describe(temporary, snapshot.Step, files);
            DurableFiles.Write(Path.Combine(temporary, CheckpointManifest.FileName), stream => JsonSerializer.Serialize(stream, manifest, JsonOptions));
            DurableFiles.FlushDirectory(temporary);
            return Publish(temporary, name);
        }
        catch
        {
            Directory.Delete(temporary, recursive: true);
            throw;
        }
    }

    private string Publish(string temporary, string name)
    {
        var final = Path.Combine(CheckpointsDirectory, name);
        if (Directory.Exists(final))
        {
            // The same step written again (e.g. a run restarted from an older checkpoint): retire the old copy first.
            var retired = Path.Combine(CheckpointsDirectory, $"{CheckpointFiles.TemporaryPrefix}retired-{name}-{Guid.NewGuid():N}");
            Directory.Move(final, retired);
            Directory.Move(temporary, final);
            Directory.Delete(retired, recursive: true);
        }
        else
        {
            Directory.Move(temporary, final);
        }
        DurableFiles.FlushDirectory(CheckpointsDirectory);
        return final;
    }
}
