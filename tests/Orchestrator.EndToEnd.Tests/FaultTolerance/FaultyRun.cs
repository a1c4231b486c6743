using System.Text.RegularExpressions;
using Orchestrator.EndToEnd.Tests.TestSupport;

namespace Orchestrator.EndToEnd.Tests.FaultTolerance;

/// <summary>
/// A job for the fault tests: the tiny GPT on a small char dataset, a checkpoint every <see cref="CheckpointInterval"/>
/// steps, a metrics row every step (so lost steps can be counted from <c>metrics.jsonl</c>), dropout 0.
/// </summary>
internal static partial class FaultyRun
{
    public const int CheckpointInterval = 10;

    public static object Job(string jobId, string data, string runDirectory, int workers, int maxSteps, int? minWorkers = null,
        int? maxWorkers = null, int maxRestarts = 3, long seed = 11) => new
    {
        job_id = jobId,
        data,
        run_dir = runDirectory,
        workers,
        min_workers = minWorkers,
        max_workers = maxWorkers,
        max_restarts = maxRestarts,
        config = new
        {
            model = new { model = "gpt", n_layer = 2, n_head = 2, n_embd = 32, block_size = 32, dropout = 0.0 },
            training = new
            {
                max_steps = maxSteps, batch_size = 4, learning_rate = 3e-3, warmup_steps = 5, seed,
                eval_interval = maxSteps, eval_batches = 4, checkpoint_interval = CheckpointInterval, log_interval = 1,
                threads = 1, keep_last_checkpoints = 3,
            },
        },
    };

    /// <summary>
    /// Steps trained twice because a recovery went back to a checkpoint: rank 0 logs every step, so wherever the logged
    /// step goes back, the previous step reached minus the checkpoint's step (the new step − 1) was lost.
    /// </summary>
    public static long StepsLost(IReadOnlyList<MetricsRow> rows) => Restarts(rows).Sum(r => r.Reached - r.ResumedFrom);

    /// <summary>Every place the logged step went back: the step reached, and the checkpoint step training resumed from.</summary>
    public static IReadOnlyList<(long Reached, long ResumedFrom)> Restarts(IReadOnlyList<MetricsRow> rows)
    {
        long previous = 0;
        var restarts = new List<(long, long)>();
        foreach (var row in rows.Where(r => r.Kind == "train"))
        {
            if (row.Step <= previous) restarts.Add((previous, row.Step - 1));
            previous = row.Step;
        }
        return restarts;
    }

    /// <summary>The restarts as "reached -> resumed from" pairs, for failure messages.</summary>
    public static string DescribeRestarts(IReadOnlyList<MetricsRow> rows) =>
        $"restarts: [{string.Join(", ", Restarts(rows).Select(r => $"{r.Reached} -> {r.ResumedFrom}"))}], last step {rows.Where(r => r.Kind == "train").Max(r => r.Step)}";

    /// <summary>
    /// The step training resumed from in the first formation after the job's <paramref name="restartsBefore"/>-th restart
    /// (the first train row that counts more restarts, less one): the step the recovery went back to.
    /// </summary>
    public static long ResumedAfter(IReadOnlyList<MetricsRow> rows, int restartsBefore) =>
        rows.First(r => r.Kind == "train" && r.Number("restarts") > restartsBefore).Step - 1;

    /// <summary>
    /// The newest checkpoint of <paramref name="runDirectory"/> that rank 0 logged as written (published on disk, where a
    /// recovery resumes from), from a worker's own log, or from the launcher's when <paramref name="worker"/> names the
    /// bracketed prefix of the worker's lines; 0 if none. A recovery must go back no further than this.
    /// </summary>
    public static long NewestWritten(string log, string runDirectory, string? worker = null) => WrittenLine().Matches(log)
        .Where(m => m.Groups["directory"].Value.StartsWith(Path.Combine(runDirectory, "checkpoints") + Path.DirectorySeparatorChar, StringComparison.Ordinal)
                    && (worker is null || m.Groups["worker"].Value == worker))
        .Select(m => long.Parse(m.Groups["step"].Value)).DefaultIfEmpty(0).Max();

    /// <summary>The validation loss of the last evaluation the run logged.</summary>
    public static double FinalValidationLoss(string runDirectory) =>
        MetricsRow.Read(runDirectory).Last(r => r.Kind == "eval").Number("loss");

    [GeneratedRegex(@"^(\[(?<worker>[^\]]+)\] )?.*\bcheckpoint step (?<step>\d+) written to (?<directory>\S+)", RegexOptions.Multiline)]
    private static partial Regex WrittenLine();
}
