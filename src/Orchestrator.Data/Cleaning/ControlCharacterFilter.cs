using System.Globalization;
using System.Text;

namespace Orchestrator.Data.Cleaning;

/// <summary>
/// Removes control characters (Unicode category Cc: NUL, escape sequences' ESC, C1 controls...) that carry no text and
/// would each cost a vocabulary slot. Tab, LF and CR stay: CR is a line ending, which the whitespace step converts.
/// </summary>
public static class ControlCharacterFilter
{
    public static string Remove(string text, out int removed)
    {
        removed = 0;
        StringBuilder? builder = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (IsRemovable(c))
            {
                builder ??= new StringBuilder(text.Length).Append(text, 0, i);
                removed++;
                continue;
            }
            builder?.Append(c);
        }
        return builder?.ToString() ?? text;
    }

    private static bool IsRemovable(char c) =>
        c is not ('\n' or '\t' or '\r') && char.GetUnicodeCategory(c) == UnicodeCategory.Control;
}
