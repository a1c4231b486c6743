using System.Text;

namespace Orchestrator.Data.Cleaning;

/// <summary>
/// Makes whitespace canonical without touching spacing inside lines (poetry and code keep their indentation):
/// CR LF and lone CR become LF, trailing whitespace on each line goes, leading and trailing blank lines go, and a run of
/// blank lines shrinks to one. A document that ended with a line break keeps exactly one.
/// </summary>
public static class WhitespaceNormalizer
{
    public readonly record struct Counts(int LineEndingsConverted, int TrailingWhitespaceRemoved, int BlankLinesRemoved);

    public static string Normalize(string text, out Counts counts)
    {
        var unified = UnifyLineEndings(text, out var converted);
        var endsWithNewline = unified.EndsWith('\n');
        var lines = unified.Split('\n');
        var lineCount = endsWithNewline ? lines.Length - 1 : lines.Length; // the text after a final LF is not a line

        var builder = new StringBuilder(unified.Length);
        int trailing = 0, blankLinesRemoved = 0, pendingBlank = 0;
        var wroteLine = false;
        for (var i = 0; i < lineCount; i++)
        {
            var line = lines[i];
            var trimmed = line.TrimEnd();
            trailing += line.Length - trimmed.Length;
            if (trimmed.Length == 0)
            {
                pendingBlank++;
                continue;
            }
            if (wroteLine)
            {
                builder.Append('\n');
                if (pendingBlank > 0)
                {
                    builder.Append('\n');
                    blankLinesRemoved += pendingBlank - 1;
                }
            }
            else
            {
                blankLinesRemoved += pendingBlank;
            }
            pendingBlank = 0;
            builder.Append(trimmed);
            wroteLine = true;
        }
        blankLinesRemoved += pendingBlank;
        if (wroteLine && endsWithNewline)
        {
            builder.Append('\n');
        }
        counts = new Counts(converted, trailing, blankLinesRemoved);
        var result = builder.ToString();
        return string.Equals(result, text, StringComparison.Ordinal) ? text : result;
    }

    private static string UnifyLineEndings(string text, out int converted)
    {
        converted = 0;
        if (!text.Contains('\r'))
        {
            return text;
        }
        var builder = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '\r')
            {
                builder.Append(text[i]);
                continue;
            }
            converted++;
            builder.Append('\n');
            if (i + 1 < text.Length && text[i + 1] == '\n')
            {
                i++;
            }
        }
        return builder.ToString();
    }
}
