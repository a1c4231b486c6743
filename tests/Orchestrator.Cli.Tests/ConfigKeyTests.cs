using Orchestrator.Cli.Tests.TestSupport;

namespace Orchestrator.Cli.Tests;

/// <summary>
/// A typo in a JSON file a person wrote (<c>"max_step": 30</c>) is refused naming the key and the closest known one,
/// instead of silently training the default 2000 steps; the check follows the types, so keys added later are covered.
/// </summary>
public sealed class ConfigKeyTests(TinyRun tiny) : IClassFixture<TinyRun>, IDisposable
{
    private readonly TempDirectory _temp = new();

    [Theory]
    [InlineData("""{ "training": { "max_step": 30 } }""", "training.max_step", "max_steps")]
    [InlineData("""{ "model": { "n_layers": 2 } }""", "model.n_layers", "n_layer")]
    [InlineData("""{ "trainig": { "max_steps": 30 } }""", "trainig", "training")]
    public async Task An_unknown_key_in_a_config_file_is_refused_naming_the_closest_known_key(string json, string key, string closest)
    {
        var config = _temp.Sub("config.json");
        await File.WriteAllTextAsync(config, json);
        var run = _temp.Sub("run");

        var result = await CliRun.InvokeAsync(tiny.Train(run, "--config", config));

        result.AssertOneLineError(config, $"unknown key \"{key}\"", $"did you mean \"{closest}\"?");
        Assert.False(Directory.Exists(run));
    }

    [Theory]
    [InlineData("""{ "data": "d", "run_dir": "r", "worker": 2, "config": { "training": { "max_steps": 5 } } }""", "worker", "workers")]
    [InlineData("""{ "data": "d", "run_dir": "r", "config": { "training": { "max_step": 5 } } }""", "config.training.max_step", "max_steps")]
    [InlineData("""{ "data": "d", "run_dir": "r", "config": { "modle": { } } }""", "config.modle", "model")]
    public async Task An_unknown_key_in_a_job_file_is_refused_before_contacting_the_coordinator(string json, string key, string closest)
    {
        var job = _temp.Sub("job.json");
        await File.WriteAllTextAsync(job, json);

        // Port 9 (discard) on loopback: nothing answers, so only a check made before connecting can produce this line.
        var result = await CliRun.InvokeAsync("submit", job, "--coordinator", "127.0.0.1:9");

        result.AssertOneLineError(job, $"unknown key \"{key}\"", $"did you mean \"{closest}\"?");
    }

    [Fact]
    public async Task A_key_nothing_resembles_is_refused_listing_the_known_keys()
    {
        var config = _temp.Sub("config.json");
        await File.WriteAllTextAsync(config, """{ "training": { "zzzz": 1 } }""");

        var result = await CliRun.InvokeAsync(tiny.Train(_temp.Sub("run"), "--config", config));

        result.AssertOneLineError("unknown key \"training.zzzz\"", "learning_rate", "max_steps");
    }

    public void Dispose() => _temp.Dispose();
}
