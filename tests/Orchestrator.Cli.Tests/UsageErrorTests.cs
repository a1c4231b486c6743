using Orchestrator.Cli.Tests.TestSupport;

namespace Orchestrator.Cli.Tests;

/// <summary>
/// A command line that cannot run is refused before any work, in one line that names the flag at fault and what it
/// accepts: a mistyped flag with the real one, a word where a number belongs, a value out of its range.
/// </summary>
public sealed class UsageErrorTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    [Fact]
    public async Task A_mistyped_coordinator_flag_is_refused_naming_the_real_one()
    {
        var result = await CliRun.InvokeAsync("coordinator", "--gateway-prot", "31000");

        Assert.Equal(2, result.ExitCode);
        result.AssertOneLineError("'--gateway-prot'", "did you mean --gateway-port?");
    }

    [Theory]
    [InlineData("train", "--max-step", "--max-steps")]
    [InlineData("generate", "--temprature", "--temperature")]
    [InlineData("prepare", "--vocab-sise", "--vocab-size")]
    [InlineData("worker", "--coordinater", "--coordinator")]
    public async Task A_mistyped_flag_of_any_command_names_the_closest_flag_of_that_command(string command, string typo, string meant)
    {
        var result = await CliRun.InvokeAsync(command, typo, "1");

        result.AssertOneLineError($"'{typo}'", $"`orchestrator {command}`", $"did you mean {meant}?");
    }

    [Fact]
    public async Task A_mistyped_command_names_the_closest_command()
    {
        var result = await CliRun.InvokeAsync("trian", "--data", "x");

        result.AssertOneLineError("'trian'", "did you mean `orchestrator train`?");
    }

    [Fact]
    public void Coordinator_configuration_keys_still_pass_through_but_nothing_else_does()
    {
        var root = CliApp.CreateRoot();

        Assert.Null(UsageErrors.Describe(root.Parse(["coordinator", "--Orchestrator:Jobs:MonitorInterval=00:00:01", "--Orchestrator:Coordinator:SiloPort", "11112"])));
        Assert.Contains("'--verbos'", UsageErrors.Describe(root.Parse(["coordinator", "--Orchestrator:Jobs:MonitorInterval=00:00:01", "--verbos"])));
    }

    [Theory]
    [InlineData("--max-steps", "abc", "a whole number")]
    [InlineData("--lr", "fast", "a number")]
    [InlineData("--bias", "maybe", "true or false")]
    public async Task A_value_of_the_wrong_type_is_one_line_naming_the_flag_and_the_type(string flag, string value, string expected)
    {
        var result = await CliRun.InvokeAsync("train", "--data", _temp.Sub("data"), "--out", _temp.Sub("run"), flag, value);

        var line = result.AssertOneLineError($"{flag} expects {expected}, got '{value}'");
        Assert.DoesNotContain("System.", line);
        Assert.False(Directory.Exists(_temp.Sub("run")));
    }

    [Theory]
    [InlineData("--temperature", "-1", "at least 0")]
    [InlineData("--top-p", "1.5", "in (0, 1]")]
    [InlineData("--top-p", "0", "in (0, 1]")]
    [InlineData("--top-k", "0", "at least 1")]
    [InlineData("--max-tokens", "-5", "at least 0")]
    public async Task A_generate_value_out_of_range_is_one_line_naming_the_flag_and_the_range(string flag, string value, string range)
    {
        var result = await CliRun.InvokeAsync("generate", _temp.Sub("no-checkpoint"), flag, value);

        result.AssertOneLineError($"{flag} must be {range}", $", got {value}");
    }

    [Fact]
    public async Task A_vocabulary_too_small_for_bpe_is_refused_before_the_corpus_is_read()
    {
        var corpus = _temp.Sub("corpus.txt");
        await File.WriteAllTextAsync(corpus, "Some text to clean.\n");

        var result = await CliRun.InvokeAsync("prepare", "--input", corpus, "--tokenizer", "bpe", "--vocab-size", "10", "--out", _temp.Sub("data"));

        // One line and nothing else: no "prepare: cleaning ..." progress came before it.
        result.AssertOneLineError("--vocab-size must be at least 257", "got 10");
        Assert.False(Directory.Exists(_temp.Sub("data")));
    }

    [Fact]
    public async Task Train_workers_below_one_is_refused_naming_the_flag()
    {
        var result = await CliRun.InvokeAsync("train", "--data", _temp.Sub("data"), "--out", _temp.Sub("run"), "--workers", "0");

        result.AssertOneLineError("--workers must be at least 1, got 0");
    }

    public void Dispose() => _temp.Dispose();
}
