using System.Runtime.CompilerServices;

namespace Orchestrator.Data.Tokenizers;

/// <summary>
/// A hand-written equivalent of <see cref="Gpt2PreTokenization.Pattern"/> under .NET regex semantics, several times faster
/// than the regex; the trainer counts pieces with it, while the library encodes with the regex itself. Equivalence is
/// tested piece for piece against the regex on hostile text and real corpora. At each position the alternatives are
/// tried in the pattern's order (first match wins, as in a backtracking engine): a contraction; an optional space then
/// letters, digits, or other symbols; a whitespace run, minus its last character when a non-space follows (the
/// <c>\s+(?!\S)</c> backtrack) unless that would leave nothing, in which case <c>\s+</c> takes the single character.
/// Character classes are .NET's: <c>\s</c> = <see cref="char.IsWhiteSpace(char)"/>, <c>\p{L}</c> = <see cref="char.IsLetter(char)"/>,
/// <c>\p{N}</c> = <see cref="char.IsNumber(char)"/>, all on UTF-16 units (a surrogate is an "other" symbol).
/// </summary>
public static class Gpt2PieceSplitter
{
    private const byte Other = 0, Letter = 1, Number = 2, Space = 3;

    private static readonly byte[] AsciiClasses = BuildAsciiClasses();

    /// <summary>Length of the piece starting at <paramref name="start"/> (at least 1 when <paramref name="start"/> is inside the text).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int PieceLength(ReadOnlySpan<char> text, int start)
    {
        int n = text.Length;
        char c = text[start];
        if (c == '\'' && start + 1 < n)
        {
            int contraction = ContractionLength(text, start);
            if (contraction > 0)
            {
                return contraction;
            }
        }

        byte cls = ClassOf(c);
        int i = start;
        if (c == ' ' && start + 1 < n)
        {
            byte next = ClassOf(text[start + 1]);
            if (next != Space)
            {
                // ' ?\p{L}+', ' ?\p{N}+' or ' ?[^\s\p{L}\p{N}]+' with the space.
                cls = next;
                i = start + 1;
            }
        }

        if (cls != Space)
        {
            i++;
            while (i < n && ClassOf(text[i]) == cls)
            {
                i++;
            }

            return i - start;
        }

        int end = start + 1;
        while (end < n && ClassOf(text[end]) == Space)
        {
            end++;
        }

        int run = end - start;
        return end == n || run == 1 ? run : run - 1;
    }

    private static int ContractionLength(ReadOnlySpan<char> text, int start)
    {
        char a = text[start + 1];
        if (a is 's' or 't' or 'm' or 'd')
        {
            return 2;
        }

        if (start + 2 < text.Length)
        {
            char b = text[start + 2];
            if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l'))
            {
                return 3;
            }
        }

        return 0;
    }

    private static byte ClassOf(char c) =>
        c < 128 ? AsciiClasses[c]
        : char.IsWhiteSpace(c) ? Space
        : char.IsLetter(c) ? Letter
        : char.IsNumber(c) ? Number
        : Other;

    private static byte[] BuildAsciiClasses()
    {
        var classes = new byte[128];
        for (int c = 0; c < 128; c++)
        {
            classes[c] = char.IsWhiteSpace((char)c) ? Space : char.IsLetter((char)c) ? Letter : char.IsNumber((char)c) ? Number : Other;
        }

        return classes;
    }
}
