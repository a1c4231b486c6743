using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Orchestrator.Cli.Reporting;

/// <summary>
/// The report's HTML page: the chart, a table of the run's final numbers and the configuration it was trained with
/// (from the latest checkpoint's <c>config.json</c>, when there is one), so one file answers "how did this run end".
/// Every value written is HTML-encoded; numbers use the invariant culture so reports compare across machines.
/// </summary>
internal static class ReportPage
{
    public static string Render(string runDirectory, RunMetrics metrics, string pngFileName, string? configPath)
    {
        var html = new StringBuilder();
        html.AppendLine("<!DOCTYPE html>");
        html.AppendLine("<html lang=\"en\"><head><meta charset=\"utf-8\">");
        html.AppendLine($"<title>Run report: {Encode(runDirectory)}</title>");
        html.AppendLine("<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
            + "td,th{border:1px solid #ccc;padding:4px 10px;text-align:left}td.n{text-align:right;font-family:monospace}"
            + "pre{background:#f6f6f6;padding:1em}</style>");
        html.AppendLine("</head><body>");
        html.AppendLine($"<h1>Run report</h1><p>{Encode(runDirectory)}</p>");
        html.AppendLine($"<img src=\"{Encode(pngFileName)}\" alt=\"loss, learning rate and throughput by step\" width=\"{ReportChart.Width}\">");
        html.AppendLine("<h2>Final numbers</h2><table>");
        foreach (var (name, value) in FinalNumbers(metrics))
            html.AppendLine($"<tr><th>{Encode(name)}</th><td class=\"n\">{Encode(value)}</td></tr>");
        html.AppendLine("</table>");
        html.AppendLine("<h2>Configuration</h2>");
        html.AppendLine(configPath is null
            ? "<p>No checkpoint yet, so no saved configuration.</p>"
            : $"<p>{Encode(configPath)}</p><pre>{Encode(PrettyJson(configPath))}</pre>");
        html.AppendLine("</body></html>");
        return html.ToString();
    }

    private static IEnumerable<(string Name, string Value)> FinalNumbers(RunMetrics metrics)
    {
        if (metrics.Train.Count > 0)
        {
            var last = metrics.Train[^1];
            yield return ("step", last.Step.ToString(CultureInfo.InvariantCulture));
            yield return ("train loss", Format(last.Loss, "0.0000"));
            yield return ("learning rate", Format(last.LearningRate, "0.000e+0"));
            yield return ("gradient norm", Format(last.GradNorm, "0.0000"));
            yield return ("tokens/s (last interval)", Format(last.TokensPerSecond, "0"));
            yield return ("tokens/s (mean)", Format(metrics.Train.Average(p => p.TokensPerSecond), "0"));
            yield return ("tokens seen", last.TokensSeen.ToString(CultureInfo.InvariantCulture));
            yield return ("elapsed (s)", Format(last.ElapsedSeconds, "0.0"));
        }
        foreach (var split in metrics.Eval.GroupBy(p => p.Split))
        {
            var last = split.Last();
            yield return ($"{split.Key} loss (step {last.Step})", Format(last.Loss, "0.0000"));
            yield return ($"{split.Key} perplexity", Format(last.Perplexity, "0.00"));
            if (last.BitsPerByte is { } bitsPerByte) yield return ($"{split.Key} bits per byte", Format(bitsPerByte, "0.0000"));
            var best = split.MinBy(p => double.IsFinite(p.Loss) ? p.Loss : double.MaxValue)!;
            yield return ($"best {split.Key} loss (step {best.Step})", Format(best.Loss, "0.0000"));
        }
    }

    private static string Format(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    private static string PrettyJson(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return JsonSerializer.Serialize(document.RootElement, new JsonSerializerOptions { WriteIndented = true });
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
