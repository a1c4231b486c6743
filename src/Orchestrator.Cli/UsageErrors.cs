using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;
using Orchestrator.Training.Configuration;

namespace Orchestrator.Cli;

/// <summary>
/// The one line a command line that cannot be run gets: an unknown flag with the closest real one
/// (<c>--gateway-prot</c> → <c>--gateway-port</c>), a value that is not a number named by its flag instead of
/// <c>System.Nullable`1[System.Int32]</c>, or the first of the parser's own errors.
/// </summary>
internal static partial class UsageErrors
{
    public static string? Describe(ParseResult parse)
    {
        var command = parse.CommandResult.Command;
        var help = $"(see `{CommandPath(command)} --help`)";
        if (UnknownToken(parse, command) is { } unknown) return $"{unknown} {help}";
        if (parse.Errors.Count == 0) return null;
        var error = parse.Errors[0];
        return $"{Rewrite(error)} {help}";
    }

    /// <summary>
    /// The first token no option or argument took. Commands that pass configuration through
    /// (<see cref="Command.TreatUnmatchedTokensAsErrors"/> off, e.g. <c>--Orchestrator:Jobs:MonitorInterval=00:00:01</c>)
    /// still refuse anything that is not such a key.
    /// </summary>
    private static string? UnknownToken(ParseResult parse, Command command)
    {
        // A flag nobody knows where the command takes a positional argument is bound to that argument (generate
        // --temprature 1 would read a checkpoint named "--temprature"): it is an unknown flag all the same.
        var swallowed = parse.CommandResult.Children.OfType<ArgumentResult>()
            .SelectMany(a => a.Tokens).Select(t => t.Value).FirstOrDefault(v => v.StartsWith("--", StringComparison.Ordinal) && v.Length > 2);
        var tokens = swallowed is null ? parse.UnmatchedTokens : [swallowed, .. parse.UnmatchedTokens];
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            if (!command.TreatUnmatchedTokensAsErrors && ConfigurationKey().IsMatch(token))
            {
                if (!token.Contains('=') && i + 1 < tokens.Count && !tokens[i + 1].StartsWith('-')) i++; // its value
                continue;
            }
            var name = token.Split('=', 2)[0];
            if (!name.StartsWith('-') && BooleanOptionBefore(parse, command, token) is { } flag)
                return $"{flag} expects true or false, got '{token}' (or give {flag} alone for true)";
            if (!name.StartsWith('-'))
            {
                var subcommand = ClosestName.Find(name, command.Subcommands.Select(c => c.Name));
                return $"unexpected argument '{token}' for `{CommandPath(command)}`" + (subcommand is null ? "" : $": did you mean `{CommandPath(command)} {subcommand}`?");
            }
            var closest = ClosestName.Find(name, OptionNames(command));
            return $"unknown option '{name}' for `{CommandPath(command)}`" + (closest is null ? "" : $": did you mean {closest}?");
        }
        return null;
    }

    /// <summary>The true/false flag right before <paramref name="token"/> on the command line (which took no value because it was not one).</summary>
    private static string? BooleanOptionBefore(ParseResult parse, Command command, string token)
    {
        var tokens = parse.Tokens;
        for (var i = 1; i < tokens.Count; i++)
        {
            if (tokens[i].Value != token) continue;
            var option = command.Options.FirstOrDefault(o => o.Name == tokens[i - 1].Value || o.Aliases.Contains(tokens[i - 1].Value));
            if (option is not null && (option.ValueType == typeof(bool) || option.ValueType == typeof(bool?))) return option.Name;
        }
        return null;
    }

    private static string Rewrite(ParseError error)
    {
        var (symbol, option) = error.SymbolResult switch
        {
            OptionResult o => (o.Option.Name, o.Option as Symbol),
            ArgumentResult { Parent: OptionResult o } => (o.Option.Name, o.Option),
            ArgumentResult a => (a.Argument.Name.ToUpperInvariant(), a.Argument),
            _ => (null, null),
        };
        if (symbol is null || !error.Message.StartsWith("Cannot parse argument", StringComparison.Ordinal)) return error.Message.TrimEnd('.');
        var value = QuotedValue().Match(error.Message) is { Success: true } m ? m.Groups[1].Value : "";
        var type = option switch
        {
            Option o => o.ValueType,
            Argument a => a.ValueType,
            _ => typeof(string),
        };
        return $"{symbol} expects {Expected(type)}, got '{value}'";
    }

    private static string Expected(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(int) || type == typeof(long)) return "a whole number";
        if (type == typeof(uint) || type == typeof(ulong)) return "a whole number of 0 or more";
        if (type == typeof(double) || type == typeof(float)) return "a number";
        if (type == typeof(bool)) return "true or false";
        return $"a {type.Name}";
    }

    /// <summary>Every flag <paramref name="command"/> accepts, its own and those its parents share with it (such as --help).</summary>
    public static IEnumerable<string> OptionNames(Command command)
    {
        foreach (var option in command.Options)
        {
            yield return option.Name;
            foreach (var alias in option.Aliases) yield return alias;
        }
        foreach (var parent in command.Parents.OfType<Command>())
        {
            foreach (var option in parent.Options.Where(o => o.Recursive))
            {
                yield return option.Name;
                foreach (var alias in option.Aliases) yield return alias;
            }
        }
    }

    private static string CommandPath(Command command) =>
        command.Parents.OfType<Command>().FirstOrDefault() is { } parent and not RootCommand
            ? $"{CommandPath(parent)} {command.Name}"
            : command is RootCommand ? "orchestrator" : $"orchestrator {command.Name}";

    [GeneratedRegex(@"^--[A-Za-z][\w.]*(:[\w.]+)+(=.*)?$")]
    private static partial Regex ConfigurationKey();

    [GeneratedRegex("'([^']*)'")]
    private static partial Regex QuotedValue();
}
