using System.CommandLine;
using Orchestrator.Cli.Reporting;
using Orchestrator.Training.Checkpoints;

namespace Orchestrator.Cli.Commands;

/// <summary>
/// <c>orchestrator report</c>: turns a run's <c>metrics.jsonl</c> into <c>report.png</c> (loss, learning rate,
/// throughput by step) and <c>report.html</c> (the chart, final numbers, the saved configuration), for reading a
/// finished or running job without a notebook.
/// </summary>
internal static class ReportCommand
{
    public const string PngFileName = "report.png";
    public const string HtmlFileName = "report.html";

    public static Command Create()
    {
        var run = new Argument<string>("run") { Description = "Run directory (the one given to `train --out`)" };
        var output = new Option<string?>("--out") { Description = "Where to write report.png and report.html [default: the run directory]" };
        var command = new Command("report", "Plot a run's metrics into report.png and report.html") { run, output };
        command.SetAction(parse =>
        {
            var runDir = Path.GetFullPath(parse.GetValue(run)!);
            var outDir = Path.GetFullPath(parse.GetValue(output) ?? runDir);
            var metrics = RunMetrics.Load(runDir);
            var configPath = CheckpointStore.ForRun(runDir).Latest is { } latest && File.Exists(Path.Combine(latest, CheckpointFiles.Config))
                ? Path.Combine(latest, CheckpointFiles.Config)
                : null;

            Directory.CreateDirectory(outDir);
            var png = Path.Combine(outDir, PngFileName);
            var html = Path.Combine(outDir, HtmlFileName);
            ReportChart.Save(metrics, png);
            File.WriteAllText(html, ReportPage.Render(runDir, metrics, PngFileName, configPath));
            Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(new { png, html, train_rows = metrics.Train.Count, eval_rows = metrics.Eval.Count }));
            return 0;
        });
        return command;
    }
}
