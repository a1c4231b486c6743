using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Orchestrator.Cluster.Grains.Abstractions;
using Orchestrator.EndToEnd.Tests.TestSupport;
using Orchestrator.TestSupport;
using Xunit.Abstractions;

namespace Orchestrator.EndToEnd.Tests.MultiHost;

/// <summary>
/// A straggler that loopback cannot show: one host's link at a tenth of the others' rate. Every rank's step then lasts
/// as long as the slow link's transfer (each waits for the ring), so what must single it out is where the time goes
/// (<see cref="Straggler"/>): status, metrics.jsonl and each worker's Prometheus series must all name that host's rank.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed partial class StragglerTests(ITestOutputHelper output) : IDisposable
{
    private const string JobId = "straggler", SlowHost = "h2";
    private const int Steps = 16, LogInterval = 4, LinkMbit = 50, SlowLinkMbit = LinkMbit / 10;

    // The link into the slow host holds its traffic for most of the exchange (~2.8 s a step here). The host's own sends
    // leave through the same slow link (tbf shapes both directions), and a rank's send wait is charged to the link into
    // the next rank, so the link into rank 2 also shows some of it: 0.02-0.6 s in five quiet runs, 1.5 s once under load.
    // So the check is that the slow host's link is the longest-held, by any margin.
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(5);
    private readonly TempDirectory _temp = new();

    [NetnsFact]
    public async Task A_host_on_a_link_a_tenth_as_fast_is_named_the_slowest_rank_by_status_metrics_and_prometheus()
    {
        var data = await SmallCorpus.PrepareAsync(SmallCorpus.Write(_temp.Sub("corpus.txt")), _temp.Sub("data"), "--tokenizer", "char");
        using var box = await ClusterInABox.UpAsync(hosts: 3, linkMbit: LinkMbit);
        await box.RateAsync(SlowHost, SlowLinkMbit);
        using var cluster = await BoxCluster.StartAsync(box, _temp.Sub("cluster"), TimeSpan.FromSeconds(60));
        var run = _temp.Sub("run");
        await cluster.SubmitAsync(Job(data, run), fromHost: "h1");

        // status --json, once every rank has reported a full interval after the first.
        var running = await cluster.WaitForAsync(JobId,
            s => s.State == JobState.Running && s.Members.Count == 3 && s.Members.All(m => m.Timing is not null && m.Step >= 2 * LogInterval),
            Patience, "every rank's timing");
        var slow = running.Members.Single(m => m.WorkerId == SlowHost);
        output.WriteLine(string.Join("\n", running.Members.OrderBy(m => m.Rank).Select(m => $"status: rank {m.Rank} {m.WorkerId}: {m.Timing}")));
        Assert.NotNull(running.Slowest);
        output.WriteLine(running.Slowest.Describe());
        Assert.Equal(slow.Rank, running.Slowest.Rank);
        Assert.Equal(box.Address(SlowHost), running.Slowest.Host);
        AssertStandsOut("status", slow.Rank, running.Members.OrderBy(m => m.Rank).Select(m => m.Timing!).ToArray());

        // status --json prints it, for scripts.
        var json = await box.CliAsync("h1", ["status", JobId, "--coordinator", cluster.ControlAddress, "--json"]);
        Assert.True(json.ExitCode == 0, json.Describe());
        var printed = JsonDocument.Parse(json.LastStdoutLine).RootElement.GetProperty("Slowest");
        Assert.Equal(JsonValueKind.Object, printed.ValueKind);
        Assert.Equal(box.Address(SlowHost), printed.GetProperty("Host").GetString());

        // The table names it too.
        var table = await box.CliAsync("h3", ["status", JobId, "--coordinator", cluster.ControlAddress]);
        Assert.True(table.ExitCode == 0, table.Describe());
        Assert.Contains($"slowest: rank {slow.Rank} on host {box.Address(SlowHost)}", table.Stdout);

        // Prometheus, each worker scraped on its own host: step time and all-reduce wait (histogram means) and send wait, by rank.
        var scraped = new StepTiming[3];
        foreach (var member in running.Members)
        {
            var exposition = await cluster.ScrapeWorkerAsync(member.WorkerId);
            scraped[member.Rank] = new StepTiming
            {
                StepSeconds = Sample(exposition, "orchestrator_training_step_duration_seconds_sum", "total") / Sample(exposition, "orchestrator_training_step_duration_seconds_count", "total"),
                AllReduceWaitSeconds = Sample(exposition, "orchestrator_training_step_duration_seconds_sum", "allreduce_wait") / Sample(exposition, "orchestrator_training_step_duration_seconds_count", "allreduce_wait"),
                SendWaitSeconds = Sample(exposition, "orchestrator_allreduce_send_wait_seconds", null),
            };
        }
        AssertStandsOut("prometheus", slow.Rank, scraped);

        // metrics.jsonl: every rank's timing on each train row (rank 0 gathers them); the first interval, which holds
        // the ring's start, is left out, the others summed.
        await cluster.WaitForCompletionAsync(JobId, Patience);
        var rows = MetricsRow.Read(run).Where(r => r.Kind == "train" && r.Step > LogInterval).ToArray();
        Assert.NotEmpty(rows);
        var summed = Enumerable.Range(0, 3).Select(rank => new StepTiming
        {
            StepSeconds = rows.Sum(r => RankField(r, rank, "step_s")),
            AllReduceWaitSeconds = rows.Sum(r => RankField(r, rank, "allreduce_wait_s")),
            SendWaitSeconds = rows.Sum(r => RankField(r, rank, "send_wait_s")),
        }).ToArray();
        AssertStandsOut("metrics.jsonl", slow.Rank, summed);
        // Rank 0's own entry is the row's step time, carried through the gather as float32 (7 significant digits).
        Assert.All(rows, r => Assert.Equal(r.Number("step_s"), RankField(r, 0, "step_s"), tolerance: 1e-6 * Math.Max(1, r.Number("step_s"))));
    }

    /// <summary>The rule names <paramref name="slowRank"/>, and the link into it held traffic longer than any other rank's.</summary>
    private void AssertStandsOut(string source, int slowRank, IReadOnlyList<StepTiming> byRank)
    {
        var own = Straggler.OwnSecondsByRank(byRank);
        var links = byRank.Select((_, rank) => Straggler.LinkInto(byRank, rank)).ToArray();
        output.WriteLine($"{source}: own s/step by rank [{string.Join(", ", own.Select(o => o.ToString("F3", CultureInfo.InvariantCulture)))}], " +
                         $"link [{string.Join(", ", links.Select(l => l.ToString("F3", CultureInfo.InvariantCulture)))}]; " +
                         string.Join("; ", byRank.Select((t, rank) => $"rank {rank}: step {t.StepSeconds:F3} wait {t.AllReduceWaitSeconds:F3} send {t.SendWaitSeconds:F3}")));
        Assert.True(Array.IndexOf(own, own.Max()) == slowRank, $"{source} does not name rank {slowRank} the slowest");
        var otherLinks = links.Where((_, rank) => rank != slowRank).Max();
        Assert.True(links[slowRank] > otherLinks,
            $"{source}: the link into rank {slowRank} held its traffic {links[slowRank]:F3} s/step, no longer than another's ({otherLinks:F3})");
    }

    private static double RankField(MetricsRow row, int rank, string field) =>
        row.Json.GetProperty("ranks").EnumerateArray().Single(r => r.GetProperty("rank").GetInt32() == rank).GetProperty(field).GetDouble();

    /// <summary>The value of the job's series <paramref name="name"/> (with <paramref name="phase"/>, when given) in a Prometheus text exposition.</summary>
    private static double Sample(string exposition, string name, string? phase)
    {
        foreach (var line in exposition.Split('\n'))
        {
            var match = SampleLine().Match(line);
            if (!match.Success || match.Groups["name"].Value != name) continue;
            var labels = Label().Matches(match.Groups["labels"].Value).ToDictionary(l => l.Groups[1].Value, l => l.Groups[2].Value);
            if (labels.GetValueOrDefault("job_id") != JobId || (phase is not null && labels.GetValueOrDefault("phase") != phase)) continue;
            return double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture);
        }
        Assert.Fail($"no {name}{(phase is null ? "" : $" phase {phase}")} for job {JobId} in:\n{exposition}");
        return 0;
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)\{(?<labels>[^}]*)\}\s+(?<value>\S+)")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"(\w+)=""([^""]*)""")]
    private static partial Regex Label();

    // A model whose gradients (about 1.6 MB, 2.2 MB sent per rank and step) take over 3 s a step on the slow link and a
    // tenth of that on the others.
    private static object Job(string data, string run) => new
    {
        job_id = JobId,
        data,
        run_dir = run,
        workers = 3,
        config = new
        {
            model = new { model = "gpt", n_layer = 2, n_head = 4, n_embd = 128, block_size = 32, dropout = 0.0 },
            training = new
            {
                max_steps = Steps, batch_size = 4, warmup_steps = 2, eval_interval = Steps, eval_batches = 1, log_interval = LogInterval,
                checkpoint_interval = Steps, threads = 1, gradient_compression = "none",
            },
        },
    };

    public void Dispose() => _temp.Dispose();
}
