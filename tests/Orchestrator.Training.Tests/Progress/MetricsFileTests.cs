using System.Text.Json;
using Orchestrator.Data;
using Orchestrator.Training.Distributed;
using Orchestrator.Training.Progress;
using Orchestrator.Training.Tests.TestSupport;
using static TorchSharp.torch;

namespace Orchestrator.Training.Tests.Progress;

public sealed class MetricsFileTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    private static JsonElement[] TrainRows(string runDirectory) =>
        File.ReadAllLines(Path.Combine(runDirectory, MetricsFile.FileName)).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(l => l.GetProperty("kind").GetString() == "train").ToArray();

    [Fact]
    public void Train_rows_carry_the_all_reduce_wait_and_the_hidden_share_of_communication()
    {
        var run = _temp.Sub("file");
        using (var metrics = new MetricsFile(run))
        {
            // 8 ms of communication per step of which 2 ms were waited for after backward: 75 % hidden.
            metrics.AppendTrain(new TrainingProgress { Step = 10, Phases = new StepPhases(0.030, 0.002, 0.004, 0.008) });
            metrics.AppendTrain(new TrainingProgress { Step = 20, Phases = new StepPhases(0.030, 0, 0.004, 0) });
        }
        var rows = TrainRows(run);
        Assert.Equal(0.002, rows[0].GetProperty("allreduce_wait_s").GetDouble());
        Assert.Equal(0.008, rows[0].GetProperty("communication_s").GetDouble());
        Assert.Equal(0.75, rows[0].GetProperty("hidden_fraction").GetDouble(), 12);
        Assert.Equal(JsonValueKind.Null, rows[1].GetProperty("hidden_fraction").ValueKind);
    }

    [Fact]
    public async Task Two_workers_report_their_exchange_wait_in_metrics_jsonl()
    {
        // Every exchange takes at least 20 ms and overlap is off, so each step waits about that long after backward.
        using var data = TinyDatasets.Words(_temp.Sub("data"));
        var config = TestConfigs.Tiny(data.Meta.VocabSize) with
        {
            Training = TestConfigs.Tiny(data.Meta.VocabSize).Training with
            {
                MaxSteps = 4, LrDecaySteps = 20, LogInterval = 2, EvalInterval = 0, CheckpointInterval = 0, OverlapCommunication = false,
            },
        };
        var run = _temp.Sub("run");
        await GroupTraining.Run(config, data, run, 2, new ListLogger(), wrap: peer => new SlowExchange(peer, TimeSpan.FromMilliseconds(20)));

        var rows = TrainRows(run);
        Assert.Equal([2L, 4], rows.Select(r => r.GetProperty("step").GetInt64()));
        Assert.All(rows, r =>
        {
            var wait = r.GetProperty("allreduce_wait_s").GetDouble();
            var communication = r.GetProperty("communication_s").GetDouble();
            // Only what holds however the machine is loaded: the exchange spans the peers' 20 ms delay, the wait is part
            // of it, and the hidden share is what they say (how the delay splits between the two depends on scheduling).
            Assert.InRange(communication, 0.018, 60);
            Assert.InRange(wait, double.Epsilon, communication);
            Assert.Equal(1 - wait / communication, r.GetProperty("hidden_fraction").GetDouble(), 9);

            // Every rank's own step time, wait and send wait, gathered by rank 0; rank 0's are the row's own.
            var ranks = r.GetProperty("ranks").EnumerateArray().ToArray();
            Assert.Equal([0, 1], ranks.Select(k => k.GetProperty("rank").GetInt32()));
            Assert.Equal(r.GetProperty("step_s").GetDouble(), ranks[0].GetProperty("step_s").GetDouble(), 1e-6);
            Assert.Equal(wait, ranks[0].GetProperty("allreduce_wait_s").GetDouble(), 1e-6);
            Assert.Equal(r.GetProperty("send_wait_s").GetDouble(), ranks[0].GetProperty("send_wait_s").GetDouble(), 1e-6);
            Assert.All(ranks, k =>
            {
                // Each exchange's 20 ms count as this rank's sending time (SlowExchange), so each step holds at least that much.
                Assert.InRange(k.GetProperty("send_wait_s").GetDouble(), 0.019, 60);
                Assert.InRange(k.GetProperty("allreduce_wait_s").GetDouble(), double.Epsilon, k.GetProperty("step_s").GetDouble());
            });
        });
    }

    [Fact]
    public void Train_rows_of_a_single_worker_have_no_per_rank_timings()
    {
        var run = _temp.Sub("alone");
        using (var metrics = new MetricsFile(run)) metrics.AppendTrain(new TrainingProgress { Step = 10, StepSeconds = 0.05 });
        var row = TrainRows(run).Single();
        Assert.Equal(0.05, row.GetProperty("step_s").GetDouble());
        Assert.False(row.TryGetProperty("ranks", out _));
    }

    public void Dispose() => _temp.Dispose();

    private sealed class SlowExchange(IGradientSynchronizer inner, TimeSpan delay) : IGradientSynchronizer
    {
        public int Rank => inner.Rank;
        public int WorldSize => inner.WorldSize;

        private long _delayedTicks;

        /// <summary>The delays count as time spent sending, as a slow link's would.</summary>
        public TimeSpan SendingTime => TimeSpan.FromTicks(Interlocked.Read(ref _delayedTicks));

        public async Task AverageGradientsAsync(IReadOnlyList<Tensor> gradients, GradientWire wire, CancellationToken cancellationToken)
        {
            await Task.Delay(delay, cancellationToken);
            Interlocked.Add(ref _delayedTicks, delay.Ticks);
            await inner.AverageGradientsAsync(gradients, wire, cancellationToken);
        }

        public Task<double[]> SumAsync(double[] values, CancellationToken cancellationToken) => inner.SumAsync(values, cancellationToken);

        public Task<float[][]> GatherAsync(float[] values, CancellationToken cancellationToken) => inner.GatherAsync(values, cancellationToken);
    }
}
