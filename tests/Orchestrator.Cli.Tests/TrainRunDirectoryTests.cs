using System.Text.Json;
using Orchestrator.Cli.Tests.TestSupport;

namespace Orchestrator.Cli.Tests;

/// <summary>
/// <c>train --out</c> never trains over a run by accident: an existing run is continued with <c>--resume</c> or
/// replaced with <c>--force</c>, a run inside the dataset is refused, and a refused or failed start leaves nothing behind.
/// </summary>
public sealed class TrainRunDirectoryTests(TinyRun tiny) : IClassFixture<TinyRun>, IDisposable
{
    private readonly TempDirectory _temp = new();

    [Fact]
    public async Task Training_into_an_existing_run_without_resume_or_force_is_refused_and_changes_nothing()
    {
        var run = _temp.Sub("run");
        await CliRun.SucceedAsync(tiny.Train(run, "--max-steps", "2", "--checkpoint-interval", "1"));
        var before = Snapshot(run);

        var result = await CliRun.InvokeAsync(tiny.Train(run, "--max-steps", "2"));

        result.AssertOneLineError(run, "already holds a run", "--resume", "--force");
        Assert.Equal(before, Snapshot(run));
    }

    [Fact]
    public async Task Force_replaces_the_run_so_metrics_hold_each_step_once()
    {
        var run = _temp.Sub("run");
        await CliRun.SucceedAsync(tiny.Train(run, "--max-steps", "3"));

        await CliRun.SucceedAsync(tiny.Train(run, "--max-steps", "3", "--force"));

        var steps = MetricsSteps(run, "train");
        Assert.Equal([1, 2, 3], steps);
    }

    [Fact]
    public async Task Resume_continues_the_existing_run()
    {
        var run = _temp.Sub("run");
        await CliRun.SucceedAsync(tiny.Train(run, "--max-steps", "2", "--checkpoint-interval", "2"));

        await CliRun.SucceedAsync(tiny.Train(run, "--max-steps", "4", "--resume"));

        Assert.Equal([1, 2, 3, 4], MetricsSteps(run, "train"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("runs/inside")]
    public async Task A_run_directory_equal_to_or_inside_the_data_directory_is_refused(string below)
    {
        var run = below.Length == 0 ? tiny.Data : Path.Combine(tiny.Data, below);

        var result = await CliRun.InvokeAsync(tiny.Train(run, "--max-steps", "1"));

        result.AssertOneLineError("--out", "--data", "outside the dataset");
        Assert.False(Directory.Exists(Path.Combine(tiny.Data, "runs")));
        Assert.False(Directory.Exists(Path.Combine(tiny.Data, "checkpoints")));
    }

    [Fact]
    public async Task A_failed_resume_of_a_missing_run_leaves_no_run_directory()
    {
        var run = _temp.Sub("never-trained");

        var result = await CliRun.InvokeAsync(tiny.Train(run, "--resume"));

        result.AssertOneLineError(run, "does not exist", "--resume");
        Assert.False(Directory.Exists(run));
    }

    [Fact]
    public async Task A_resume_of_a_run_without_checkpoints_is_refused_and_writes_nothing()
    {
        var run = Directory.CreateDirectory(_temp.Sub("empty-run")).FullName;

        var result = await CliRun.InvokeAsync(tiny.Train(run, "--resume"));

        result.AssertOneLineError("holds no checkpoint", "--resume");
        Assert.Empty(Directory.EnumerateFileSystemEntries(run));
    }

    [Theory]
    [InlineData(5, 0)]
    [InlineData(20, 2)]
    [InlineData(50, 5)]
    public async Task A_short_run_works_without_warmup_steps_and_warms_up_a_tenth_of_it(int maxSteps, int expectedWarmup)
    {
        var run = _temp.Sub($"short-{maxSteps}");

        await CliRun.SucceedAsync(tiny.Train(run, "--max-steps", $"{maxSteps}", "--eval-interval", "0", "--checkpoint-interval", "0"));

        Assert.Equal(expectedWarmup, SavedTraining(run).GetProperty("warmup_steps").GetInt32());
        Assert.Equal(maxSteps, MetricsSteps(run, "train").Max());
    }

    [Theory]
    [InlineData(5000, 100)]
    [InlineData(1000, 100)]
    [InlineData(999, 99)]
    [InlineData(9, 0)]
    public void The_default_warmup_is_a_tenth_of_the_run_and_at_most_one_hundred_steps(int maxSteps, int warmup) =>
        Assert.Equal(warmup, Orchestrator.Cli.Commands.AdaptiveWarmup.For(maxSteps));

    [Fact]
    public async Task An_explicit_warmup_that_cannot_work_stays_an_error_naming_the_flag()
    {
        var run = _temp.Sub("run");

        var result = await CliRun.InvokeAsync(tiny.Train(run, "--max-steps", "20", "--warmup-steps", "50"));

        result.AssertOneLineError("--warmup-steps", "warmup_steps = 50", "max_steps (20)");
        Assert.False(Directory.Exists(run));
    }

    [Fact]
    public async Task A_warmup_set_in_the_config_file_is_kept()
    {
        var config = _temp.Sub("config.json");
        await File.WriteAllTextAsync(config, """{ "training": { "warmup_steps": 3, "max_steps": 6 } }""");
        var run = _temp.Sub("run");

        await CliRun.SucceedAsync(tiny.Train(run, "--config", config, "--eval-interval", "0", "--checkpoint-interval", "0"));

        Assert.Equal(3, SavedTraining(run).GetProperty("warmup_steps").GetInt32());
    }

    [Fact]
    public async Task Train_writes_its_log_to_train_log_in_the_run_directory()
    {
        var run = _temp.Sub("run");

        var result = await CliRun.SucceedAsync(tiny.Train(run, "--max-steps", "3"));

        var log = await File.ReadAllTextAsync(Path.Combine(run, "train.log"));
        var progress = Assert.Single(result.StderrLines, l => l.Contains("step 3/3", StringComparison.Ordinal));
        Assert.Contains(progress, log);
        Assert.DoesNotContain("step 3/3", result.Stdout); // results on stdout, logs on stderr
    }

    private static JsonElement SavedTraining(string run)
    {
        var latest = File.ReadAllText(Path.Combine(run, "checkpoints", "latest")).Trim();
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "checkpoints", latest, "config.json")));
        return config.RootElement.GetProperty("training").Clone();
    }

    private static List<long> MetricsSteps(string run, string kind) =>
        File.ReadLines(Path.Combine(run, "metrics.jsonl"))
            .Select(l => JsonDocument.Parse(l).RootElement)
            .Where(r => r.GetProperty("kind").GetString() == kind)
            .Select(r => r.GetProperty("step").GetInt64())
            .ToList();

    private static Dictionary<string, string> Snapshot(string directory) =>
        Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).ToDictionary(
            f => Path.GetRelativePath(directory, f),
            f => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f))));

    public void Dispose() => _temp.Dispose();
}
