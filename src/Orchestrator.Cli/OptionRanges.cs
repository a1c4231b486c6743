using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Orchestrator.Cli;

/// <summary>
/// Allowed ranges of numeric flags, checked while parsing, so a value out of range is refused in one line naming the
/// flag and the range before any work starts (<c>prepare --vocab-size 10</c> fails before cleaning a corpus).
/// </summary>
internal static class OptionRanges
{
    /// <summary>Refuses values below <paramref name="minimum"/>; <paramref name="why"/> explains the bound.</summary>
    public static Option<T> AtLeast<T>(this Option<T> option, double minimum, string? why = null) =>
        option.Within(v => v >= minimum, $"at least {Show(minimum)}{Why(why)}");

    /// <summary>Refuses values outside [<paramref name="minimum"/>, <paramref name="maximum"/>] (or (minimum, maximum] when <paramref name="minimumExcluded"/>).</summary>
    public static Option<T> Between<T>(this Option<T> option, double minimum, double maximum, bool minimumExcluded = false, string? why = null) =>
        option.Within(v => (minimumExcluded ? v > minimum : v >= minimum) && v <= maximum,
            $"in {(minimumExcluded ? "(" : "[")}{Show(minimum)}, {Show(maximum)}]{Why(why)}");

    private static Option<T> Within<T>(this Option<T> option, Func<double, bool> allowed, string range)
    {
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count == 0) return;
            var token = result.Tokens[^1].Value;
            if (!double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)) return; // the type's own error names it
            if (double.IsNaN(value) || !allowed(value)) result.AddError($"{option.Name} must be {range}, got {token}");
        });
        return option;
    }

    private static string Show(double value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Why(string? why) => why is null ? "" : $" ({why})";
}
