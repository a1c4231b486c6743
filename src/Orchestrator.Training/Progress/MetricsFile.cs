using System.Text.Json;
using System.Text.Json.Serialization;
using Orchestrator.Training.Evaluation;

namespace Orchestrator.Training.Progress;

/// <summary>
/// <c>RUN_DIR/metrics.jsonl</c>: one JSON object per line, <c>"kind": "train"</c> or <c>"eval"</c>, appended and
/// flushed as they happen so a plot or <c>tail -f</c> sees a run live. Written by rank 0 only. Train rows carry rank 0's
/// mean all-reduce wait and communication span per step and the hidden share of communication (null with one worker),
/// so overlap shows without Prometheus, and the gradient bytes rank 0 sent per step, the compression ratio and the
/// compression in force, and the restarts the job had used (recoveries after a lost worker). With more than one worker
/// they also carry every rank's step time, all-reduce wait and send wait (<c>ranks</c>), so a slow rank shows.
/// </summary>
public sealed class MetricsFile : IDisposable
{
    public const string FileName = "metrics.jsonl";

    // A skipped step's loss is NaN: written as the string "NaN" (which Python's json and pandas read) rather than failing.
    private static readonly JsonSerializerOptions JsonOptions = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    private readonly StreamWriter _writer;

    public MetricsFile(string runDirectory)
    {
        Directory.CreateDirectory(runDirectory);
        Path = System.IO.Path.Combine(runDirectory, FileName);
        _writer = new StreamWriter(new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = false };
    }

    public string Path { get; }

    public void AppendTrain(TrainingProgress progress) =>
        Append(new TrainLine(progress.Step, progress.Loss, progress.LearningRate, progress.GradNorm, progress.TokensPerSecond,
            progress.TokensSeen, progress.ElapsedSeconds, progress.EtaSeconds, progress.SkippedSteps, progress.Rollbacks, progress.Restarts,
            progress.Phases.AllReduceWaitSeconds, progress.Phases.CommunicationSeconds, progress.Phases.HiddenFraction,
            progress.Phases.AllReduceBytes, progress.WireBytesPerStep, progress.CompressionRatio, progress.GradientCompression,
            progress.StepSeconds, progress.Phases.SendWaitSeconds, progress.Ranks));

    public void AppendEval(long step, string split, EvaluationResult result) =>
        Append(new EvalLine(step, split, result.Loss, result.Perplexity, result.BitsPerByte, result.Tokens));

    private void Append<T>(T line)
    {
        _writer.WriteLine(JsonSerializer.Serialize(line, JsonOptions));
        _writer.Flush();
    }

    public void Dispose() => _writer.Dispose();

    private sealed record TrainLine(
        [property: JsonPropertyName("step")] long Step,
        [property: JsonPropertyName("loss")] double Loss,
        [property: JsonPropertyName("lr")] double LearningRate,
        [property: JsonPropertyName("grad_norm")] double GradNorm,
        [property: JsonPropertyName("tokens_per_sec")] double TokensPerSecond,
        [property: JsonPropertyName("tokens_seen")] long TokensSeen,
        [property: JsonPropertyName("elapsed_s")] double ElapsedSeconds,
        [property: JsonPropertyName("eta_s")] double EtaSeconds,
        [property: JsonPropertyName("skipped_steps")] long SkippedSteps,
        [property: JsonPropertyName("rollbacks")] long Rollbacks,
        [property: JsonPropertyName("restarts")] int Restarts,
        [property: JsonPropertyName("allreduce_wait_s")] double AllReduceWaitSeconds,
        [property: JsonPropertyName("communication_s")] double CommunicationSeconds,
        [property: JsonPropertyName("hidden_fraction")] double? HiddenFraction,
        [property: JsonPropertyName("allreduce_bytes")] double AllReduceBytes,
        [property: JsonPropertyName("wire_bytes_per_step")] double WireBytesPerStep,
        [property: JsonPropertyName("compression_ratio")] double? CompressionRatio,
        [property: JsonPropertyName("gradient_compression")] string? GradientCompression,
        [property: JsonPropertyName("step_s")] double StepSeconds,
        [property: JsonPropertyName("send_wait_s")] double SendWaitSeconds,
        [property: JsonPropertyName("ranks"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<RankTiming>? Ranks)
    {
        [JsonPropertyName("kind")] public string Kind => "train";
    }

    private sealed record EvalLine(
        [property: JsonPropertyName("step")] long Step,
        [property: JsonPropertyName("split")] string Split,
        [property: JsonPropertyName("loss")] double Loss,
        [property: JsonPropertyName("perplexity")] double Perplexity,
        [property: JsonPropertyName("bits_per_byte")] double? BitsPerByte,
        [property: JsonPropertyName("tokens")] long Tokens)
    {
        [JsonPropertyName("kind")] public string Kind => "eval";
    }
}
