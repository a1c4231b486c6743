using System.Text.Json;
using System.Text.Json.Serialization;
using Orchestrator.Training.Progress;

namespace Orchestrator.Cli.Reporting;

/// <summary>One <c>"kind":"train"</c> row of <c>metrics.jsonl</c>: the mean of a log interval ending at <see cref="Step"/>.</summary>
internal sealed record TrainPoint(long Step, double Loss, double LearningRate, double GradNorm, double TokensPerSecond, long TokensSeen, double ElapsedSeconds);

/// <summary>One <c>"kind":"eval"</c> row of <c>metrics.jsonl</c>: a whole-split evaluation at <see cref="Step"/>.</summary>
internal sealed record EvalPoint(long Step, string Split, double Loss, double Perplexity, double? BitsPerByte);

/// <summary>
/// A run's <c>metrics.jsonl</c> read back for reporting. Parsing is strict: a line that is not a JSON object with
/// the fields the trainer writes is reported by file and line number rather than silently dropped, so a report
/// never looks complete while missing part of a run.
/// </summary>
internal sealed record RunMetrics(string Path, IReadOnlyList<TrainPoint> Train, IReadOnlyList<EvalPoint> Eval)
{
    // The trainer writes a skipped step's loss as "NaN" (see MetricsFile), so named literals must read back.
    private static readonly JsonSerializerOptions JsonOptions = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public static RunMetrics Load(string runDirectory)
    {
        var path = System.IO.Path.Combine(runDirectory, MetricsFile.FileName);
        if (!File.Exists(path))
            throw new FileNotFoundException($"'{path}' does not exist: pass the run directory given to `train --out`", path);
        var train = new List<TrainPoint>();
        var eval = new List<EvalPoint>();
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var row = Parse(line, path, lineNumber);
            switch (row.Kind)
            {
                case "train":
                    train.Add(new TrainPoint(row.Step!.Value, row.Loss!.Value, Require(row.LearningRate, "lr", path, lineNumber),
                        row.GradNorm ?? double.NaN, Require(row.TokensPerSecond, "tokens_per_sec", path, lineNumber),
                        row.TokensSeen ?? 0, row.ElapsedSeconds ?? double.NaN));
                    break;
                case "eval":
                    eval.Add(new EvalPoint(row.Step!.Value, row.Split ?? throw Malformed(path, lineNumber, "an eval row has no \"split\""),
                        row.Loss!.Value, row.Perplexity ?? Math.Exp(row.Loss!.Value), row.BitsPerByte));
                    break;
                default:
                    throw Malformed(path, lineNumber, $"unknown \"kind\" '{row.Kind}' (expected train or eval)");
            }
        }
        if (train.Count == 0 && eval.Count == 0)
            throw new InvalidDataException($"'{path}' has no metrics rows: the run has not logged a step yet (see --log-interval)");
        return new RunMetrics(path, train, eval);
    }

    private static Row Parse(string line, string path, int lineNumber)
    {
        Row? row;
        try
        {
            row = JsonSerializer.Deserialize<Row>(line, JsonOptions);
        }
        catch (JsonException e)
        {
            throw Malformed(path, lineNumber, $"not a JSON metrics object ({e.Message})");
        }
        if (row?.Kind is null) throw Malformed(path, lineNumber, "missing \"kind\"");
        if (row.Step is null) throw Malformed(path, lineNumber, "missing \"step\"");
        if (row.Loss is null) throw Malformed(path, lineNumber, "missing \"loss\"");
        return row;
    }

    private static double Require(double? value, string field, string path, int lineNumber) =>
        value ?? throw Malformed(path, lineNumber, $"a train row has no \"{field}\"");

    private static InvalidDataException Malformed(string path, int lineNumber, string why) =>
        new($"{path}:{lineNumber}: {why}");

    private sealed record Row(
        [property: JsonPropertyName("kind")] string? Kind,
        [property: JsonPropertyName("step")] long? Step,
        [property: JsonPropertyName("loss")] double? Loss,
        [property: JsonPropertyName("lr")] double? LearningRate,
        [property: JsonPropertyName("grad_norm")] double? GradNorm,
        [property: JsonPropertyName("tokens_per_sec")] double? TokensPerSecond,
        [property: JsonPropertyName("tokens_seen")] long? TokensSeen,
        [property: JsonPropertyName("elapsed_s")] double? ElapsedSeconds,
        [property: JsonPropertyName("split")] string? Split,
        [property: JsonPropertyName("perplexity")] double? Perplexity,
        [property: JsonPropertyName("bits_per_byte")] double? BitsPerByte);
}
