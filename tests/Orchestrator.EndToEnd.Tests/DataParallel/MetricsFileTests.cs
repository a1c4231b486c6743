using Orchestrator.EndToEnd.Tests.TestSupport;

namespace Orchestrator.EndToEnd.Tests.DataParallel;

/// <summary>
/// <c>metrics.jsonl</c> is how users plot a run: one train row per logged step and one eval row per evaluation,
/// written once (by rank 0) whether one process or several trained.
/// </summary>
[Collection(DataParallelCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class MetricsFileTests(DataParallelRuns runs)
{
    [Fact]
    public void One_and_two_workers_write_a_train_row_for_every_step_with_loss_and_throughput()
    {
        foreach (var run in new[] { runs.OneWorker, runs.TwoWorkers })
        {
            var train = MetricsRow.Read(run.Directory).Where(r => r.Kind == "train").ToArray();
            Assert.Equal([1L, 2, 3, 4, 5], train.Select(r => r.Step));
            Assert.All(train, row =>
            {
                Assert.InRange(row.Number("loss"), 3.0, 4.2);
                Assert.True(row.Number("tokens_per_sec") > 0, $"{run} step {row.Step}: tokens_per_sec {row.Number("tokens_per_sec")}");
                Assert.Equal(row.Step * DataParallelRuns.GlobalBatch * 32, row.Json.GetProperty("tokens_seen").GetInt64());
            });
        }
    }

    [Fact]
    public void One_and_two_workers_log_the_same_loss_and_learning_rate_at_every_step()
    {
        var single = MetricsRow.Read(runs.OneWorker.Directory).Where(r => r.Kind == "train").ToArray();
        var pair = MetricsRow.Read(runs.TwoWorkers.Directory).Where(r => r.Kind == "train").ToArray();
        Assert.Equal(single.Length, pair.Length);
        for (var i = 0; i < single.Length; i++)
        {
            Assert.Equal(single[i].Number("loss"), pair[i].Number("loss"), 1e-5);
            Assert.Equal(single[i].Number("lr"), pair[i].Number("lr"), 1e-12);
        }
        // Cosine decay from 1e-3 to 1e-4 over 5 steps with no warm-up: full rate at the first step, lower at the last.
        Assert.Equal(1e-3, single[0].Number("lr"), 1e-12);
        Assert.True(single[^1].Number("lr") < single[^2].Number("lr"));
    }

    [Fact]
    public void One_and_two_workers_write_an_eval_row_at_each_interval_and_at_the_end()
    {
        foreach (var run in new[] { runs.OneWorker, runs.TwoWorkers })
        {
            var eval = MetricsRow.Read(run.Directory).Where(r => r.Kind == "eval").ToArray();
            Assert.Equal([2L, 4, 5], eval.Select(r => r.Step));
            Assert.All(eval, row =>
            {
                Assert.Equal("val", row.Json.GetProperty("split").GetString());
                var loss = row.Number("loss");
                Assert.InRange(loss, 3.0, 4.2);
                Assert.Equal(Math.Exp(loss), row.Number("perplexity"), 1e-9 * Math.Exp(loss));
                Assert.True(row.Json.GetProperty("tokens").GetInt64() > 0);
            });
        }
    }
}
