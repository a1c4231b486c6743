using System.CommandLine;

namespace Orchestrator.Cli;

/// <summary>
/// What help says about every option, applied to the whole tree so a flag added later follows it too: a switch
/// (<c>Option&lt;bool&gt;</c>) says it is given alone, a true/false option shows <c>true|false</c> as its value.
/// </summary>
internal static class HelpConventions
{
    public const string SwitchNote = "[switch: give it alone to turn it on; off by default]";

    public static void Apply(Command command)
    {
        foreach (var option in command.Options)
        {
            if (option is Option<bool> && !(option.Description ?? "").Contains(SwitchNote, StringComparison.Ordinal))
                option.Description = $"{option.Description} {SwitchNote}";
            if (option.ValueType == typeof(bool?)) option.HelpName ??= "true|false";
        }
        foreach (var subcommand in command.Subcommands) Apply(subcommand);
    }
}
