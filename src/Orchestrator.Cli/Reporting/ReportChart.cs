using ScottPlot;

namespace Orchestrator.Cli.Reporting;

/// <summary>
/// The report's image: three stacked panels sharing the step axis — train and validation loss, learning rate,
/// throughput — so a loss plateau can be read against the schedule and the speed at the same step.
/// Non-finite values (skipped steps) are left out of the lines rather than breaking the axis limits.
/// </summary>
internal static class ReportChart
{
    public const int Width = 1000;
    public const int PanelHeight = 340;
    public const int Height = 3 * PanelHeight;

    public static void Save(RunMetrics metrics, string pngPath)
    {
        var multiplot = new Multiplot();
        multiplot.AddPlots(3);
        var (loss, learningRate, throughput) = (multiplot.GetPlot(0), multiplot.GetPlot(1), multiplot.GetPlot(2));

        AddLine(loss, metrics.Train.Select(p => (p.Step, p.Loss)), "train");
        foreach (var split in metrics.Eval.GroupBy(p => p.Split))
            AddLine(loss, split.Select(p => (p.Step, p.Loss)), split.Key, markers: true);
        loss.Title("Loss");
        loss.YLabel("cross-entropy (nats)");
        loss.ShowLegend(Alignment.UpperRight);

        AddLine(learningRate, metrics.Train.Select(p => (p.Step, p.LearningRate)));
        learningRate.Title("Learning rate");

        AddLine(throughput, metrics.Train.Select(p => (p.Step, p.TokensPerSecond)));
        throughput.Title("Throughput");
        throughput.YLabel("tokens/s");

        Plot[] panels = [loss, learningRate, throughput];
        foreach (var plot in panels) plot.XLabel("step");
        multiplot.SharedAxes.ShareX(panels);
        multiplot.SavePng(pngPath, Width, Height);
    }

    private static void AddLine(Plot plot, IEnumerable<(long Step, double Value)> points, string? label = null, bool markers = false)
    {
        var finite = points.Where(p => double.IsFinite(p.Value)).ToArray();
        if (finite.Length == 0) return;
        var scatter = plot.Add.Scatter(finite.Select(p => (double)p.Step).ToArray(), finite.Select(p => p.Value).ToArray());
        if (label is not null) scatter.LegendText = label;
        scatter.MarkerSize = markers || finite.Length == 1 ? 6 : 0;
    }
}
