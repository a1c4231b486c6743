using System.Text;

namespace Orchestrator.Data.Cleaning;

/// <summary>
/// Composes text to NFC so visually identical text gets identical tokens ("e" + U+0301 and "é" become one character).
/// .NET refuses to normalize strings holding unpaired surrogates, which JSON escapes can produce; those are replaced by
/// U+FFFD first, as a UTF-8 encoder would.
/// </summary>
public static class UnicodeNormalizer
{
    public static string ToNfc(string text, out bool changed, out int surrogatesReplaced)
    {
        var repaired = ReplaceLoneSurrogates(text, out surrogatesReplaced);
        var normalized = repaired.IsNormalized(NormalizationForm.FormC) ? repaired : repaired.Normalize(NormalizationForm.FormC);
        changed = !ReferenceEquals(normalized, text) && !string.Equals(normalized, text, StringComparison.Ordinal);
        return normalized;
    }

    private static string ReplaceLoneSurrogates(string text, out int replaced)
    {
        replaced = 0;
        StringBuilder? builder = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            var paired = char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]);
            if (paired)
            {
                builder?.Append(c).Append(text[i + 1]);
                i++;
                continue;
            }
            if (char.IsSurrogate(c))
            {
                builder ??= new StringBuilder(text.Length).Append(text, 0, i);
                builder.Append('\uFFFD');
                replaced++;
                continue;
            }
            builder?.Append(c);
        }
        return builder?.ToString() ?? text;
    }
}
