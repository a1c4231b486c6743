using System.Buffers.Binary;
using System.Globalization;
using Orchestrator.EndToEnd.Tests.TestSupport;
using SkiaSharp;

namespace Orchestrator.EndToEnd.Tests;

/// <summary>
/// <c>report</c> turns a hand-written <c>metrics.jsonl</c> into a real chart and a page with the run's final numbers
/// and configuration; a broken metrics file is refused in one line that names the file and the line.
/// </summary>
public sealed class ReportCommandTests : IDisposable
{
    private const int ExpectedWidth = 1000;
    private const int ExpectedHeight = 1020;

    private readonly TempDirectory _temp = new();

    [Fact]
    public async Task Report_draws_loss_lr_and_throughput_and_lists_the_final_loss_and_saved_config()
    {
        var run = _temp.Sub("run");
        WriteMetrics(run, DecreasingLossRun(finalLoss: 2.3456));
        var checkpoint = Path.Combine(run, "checkpoints", "step-00000040");
        Directory.CreateDirectory(checkpoint);
        File.WriteAllText(Path.Combine(checkpoint, "config.json"), """{"model":{"model":"gpt","n_embd":48},"training":{"max_steps":40}}""");
        File.WriteAllText(Path.Combine(run, "checkpoints", "latest"), "step-00000040\n");
        var output = _temp.Sub("report");

        await OrchestratorCli.SucceedAsync("report", run, "--out", output);

        var png = Path.Combine(output, "report.png");
        var bytes = File.ReadAllBytes(png);
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
        Assert.Equal(ExpectedWidth, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16, 4)));
        Assert.Equal(ExpectedHeight, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20, 4)));

        using var image = SKBitmap.Decode(png);
        Assert.Equal((ExpectedWidth, ExpectedHeight), (image.Width, image.Height));
        var background = image.GetPixel(2, 2);
        // Each of the three stacked panels draws something (axes, ticks, a line) besides its background.
        for (var panel = 0; panel < 3; panel++)
        {
            var top = panel * ExpectedHeight / 3;
            var drawn = Enumerable.Range(top, ExpectedHeight / 3).Sum(y => Enumerable.Range(0, ExpectedWidth).Count(x => image.GetPixel(x, y) != background));
            Assert.True(drawn > 2000, $"panel {panel} has only {drawn} non-background pixels");
        }
        var colours = Enumerable.Range(0, ExpectedHeight / 4).SelectMany(y => Enumerable.Range(0, ExpectedWidth / 4).Select(x => image.GetPixel(4 * x, 4 * y))).Distinct().Count();
        Assert.True(colours > 10, $"the chart has only {colours} distinct colours");

        var html = File.ReadAllText(Path.Combine(output, "report.html"));
        Assert.Contains("src=\"report.png\"", html);
        Assert.Contains("<td class=\"n\">2.3456</td>", html);
        Assert.Contains("best val loss (step 40)", html);
        Assert.Contains("&quot;n_embd&quot;: 48", html);
    }

    [Fact]
    public async Task Report_of_a_different_run_draws_a_different_chart()
    {
        var first = _temp.Sub("first");
        var second = _temp.Sub("second");
        WriteMetrics(first, DecreasingLossRun(finalLoss: 2.3456));
        WriteMetrics(second, DecreasingLossRun(finalLoss: 0.5));

        await OrchestratorCli.SucceedAsync("report", first);
        await OrchestratorCli.SucceedAsync("report", second);

        Assert.NotEqual(File.ReadAllBytes(Path.Combine(first, "report.png")), File.ReadAllBytes(Path.Combine(second, "report.png")));
        Assert.DoesNotContain("2.3456", File.ReadAllText(Path.Combine(second, "report.html")));
    }

    [Fact]
    public async Task Report_with_a_malformed_line_names_the_file_and_line_and_writes_nothing()
    {
        var run = _temp.Sub("run");
        var lines = DecreasingLossRun(finalLoss: 2.0).ToList();
        lines.Insert(2, """{"step":30,"loss":""");
        WriteMetrics(run, lines);

        var result = await OrchestratorCli.RunAsync("report", run);

        OneLineError.Assert(result, "metrics.jsonl:3", "not a JSON metrics object");
        Assert.False(File.Exists(Path.Combine(run, "report.png")));
    }

    [Fact]
    public async Task Report_of_an_empty_metrics_file_says_no_step_was_logged()
    {
        var run = _temp.Sub("run");
        WriteMetrics(run, []);
        OneLineError.Assert(await OrchestratorCli.RunAsync("report", run), "metrics.jsonl", "no metrics rows");
    }

    [Fact]
    public async Task Report_of_a_directory_without_metrics_names_the_missing_file()
    {
        OneLineError.Assert(await OrchestratorCli.RunAsync("report", _temp.Path), "metrics.jsonl", "does not exist");
    }

    /// <summary>Four log intervals of ten steps, a validation at steps 20 and 40, and a cosine-like LR decay.</summary>
    private static IReadOnlyList<string> DecreasingLossRun(double finalLoss)
    {
        string N(double value) => value.ToString("R", CultureInfo.InvariantCulture);
        var lines = new List<string>();
        for (var i = 1; i <= 4; i++)
        {
            var loss = finalLoss + (4 - i) * 0.75;
            lines.Add($$"""{"step":{{10 * i}},"loss":{{N(loss)}},"lr":{{N(6e-4 / i)}},"grad_norm":0.9,"tokens_per_sec":{{1000 + 150 * (i % 2)}},"tokens_seen":{{2560 * i}},"elapsed_s":{{N(1.5 * i)}},"eta_s":1,"skipped_steps":0,"kind":"train"}""");
            if (i % 2 == 0)
                lines.Add($$"""{"step":{{10 * i}},"split":"val","loss":{{N(loss + 0.1)}},"perplexity":{{N(Math.Exp(loss + 0.1))}},"bits_per_byte":1.2,"tokens":512,"kind":"eval"}""");
        }
        return lines;
    }

    private static void WriteMetrics(string runDirectory, IEnumerable<string> lines)
    {
        Directory.CreateDirectory(runDirectory);
        File.WriteAllLines(Path.Combine(runDirectory, "metrics.jsonl"), lines);
    }

    public void Dispose() => _temp.Dispose();
}
