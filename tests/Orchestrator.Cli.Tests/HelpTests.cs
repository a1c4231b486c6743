using System.CommandLine;
using Orchestrator.Cli.Tests.TestSupport;

namespace Orchestrator.Cli.Tests;

/// <summary>
/// <c>--help</c> of every command says what each option defaults to and how a boolean option is given, so a user
/// need not read the source to know what a run does when they say nothing.
/// </summary>
public sealed class HelpTests
{
    public static TheoryData<string> Commands => [.. CliApp.CreateRoot().Subcommands.Select(c => c.Name)];

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task Every_option_in_help_shows_its_default_or_that_it_is_required_or_a_switch(string command)
    {
        var help = (await CliRun.SucceedAsync(command, "--help")).Stdout;

        var options = OptionEntries(help);
        Assert.NotEmpty(options);
        Assert.All(options.Where(o => !o.StartsWith("-?", StringComparison.Ordinal)), entry => Assert.True(
            entry.Contains("default", StringComparison.OrdinalIgnoreCase) || entry.Contains("(REQUIRED)", StringComparison.Ordinal) ||
            entry.Contains(HelpConventions.SwitchNote, StringComparison.Ordinal),
            $"`orchestrator {command} --help` does not say the default of: {entry}"));
    }

    [Fact]
    public async Task Boolean_options_say_how_they_are_given()
    {
        var help = OptionEntries((await CliRun.SucceedAsync("train", "--help")).Stdout);

        Assert.Contains(HelpConventions.SwitchNote, Assert.Single(help, e => e.StartsWith("--resume ", StringComparison.Ordinal)));
        Assert.Contains(HelpConventions.SwitchNote, Assert.Single(help, e => e.StartsWith("--force ", StringComparison.Ordinal)));
        var bias = Assert.Single(help, e => e.StartsWith("--bias ", StringComparison.Ordinal));
        Assert.Contains("<true|false>", bias);
        Assert.Contains("[default: true]", bias);
    }

    [Fact]
    public async Task Train_help_shows_the_adaptive_warmup_and_the_config_defaults()
    {
        var help = OptionEntries((await CliRun.SucceedAsync("train", "--help")).Stdout);

        Assert.Contains("[default: min(100, max_steps / 10)]", Assert.Single(help, e => e.StartsWith("--warmup-steps ", StringComparison.Ordinal)));
        Assert.Contains("[default: 2000]", Assert.Single(help, e => e.StartsWith("--max-steps ", StringComparison.Ordinal)));
        Assert.Contains("[default: 0.001]", Assert.Single(help, e => e.StartsWith("--lr ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Serve_help_shows_the_grpc_port_and_its_default()
    {
        var help = OptionEntries((await CliRun.SucceedAsync("serve", "--help")).Stdout);

        Assert.Contains("[default: --port + 1]", Assert.Single(help, e => e.StartsWith("--grpc-port ", StringComparison.Ordinal)));
    }

    /// <summary>The "Options:" section's entries, each option with its wrapped description joined into one string.</summary>
    private static List<string> OptionEntries(string help)
    {
        var entries = new List<string>();
        var inOptions = false;
        foreach (var line in help.Split('\n').Select(l => l.TrimEnd('\r')))
        {
            if (line.StartsWith("Options:", StringComparison.Ordinal)) { inOptions = true; continue; }
            if (!inOptions) continue;
            if (line.Length == 0 || !line.StartsWith(' ')) { if (line.Length > 0) inOptions = false; continue; }
            if (line.StartsWith("  -", StringComparison.Ordinal)) entries.Add(line.Trim());
            else if (entries.Count > 0) entries[^1] += " " + line.Trim();
        }
        return entries;
    }
}
