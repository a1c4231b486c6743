using System.Text;

namespace Orchestrator.Data.Corpus;

/// <summary>
/// Turns a POS-tagged Brown Corpus text ("The/at jury/nn said/vbd ,/, ``/`` ...") back into readable prose, so a
/// language model learns English rather than tags. Each line of the file is a sentence and a block of non-blank lines
/// is a paragraph: sentences of a paragraph are joined with spaces, paragraphs are separated by a blank line, and a
/// headline line (every tag ends in <c>-hl</c>) is a paragraph of its own even where the corpus runs it into the next.
/// Corpus artefacts are undone: <c>``</c>/<c>''</c> become double quotes, standalone <c>'</c> tokens alternate
/// between opening and closing single quotes, the doubled sentence-final <c>; ? !</c> the corpus writes when it
/// splits a sentence there are written once, and a full stop after an abbreviation ("Jr. .") is dropped.
/// </summary>
public static class BrownDetokenizer
{
    private static readonly HashSet<string> NoSpaceBefore = [",", ".", ";", ":", "?", "!", ")", "]", "}", "''"];
    private static readonly HashSet<string> NoSpaceAfter = ["``", "(", "[", "{"];
    private static readonly HashSet<string> RepeatedAtSentenceSplit = [";", "?", "!"];

    public static string ToPlainText(string tagged)
    {
        var output = new StringBuilder(tagged.Length / 2);
        foreach (var paragraph in Paragraphs(tagged))
        {
            if (output.Length > 0)
            {
                output.Append("\n\n");
            }
            AppendParagraph(output, paragraph);
        }
        if (output.Length > 0)
        {
            output.Append('\n');
        }
        return output.ToString();
    }

    /// <summary>The word of a <c>word/tag</c> token (the text before the last slash; words such as "1/2" keep theirs).</summary>
    public static string StripTag(string token)
    {
        var slash = token.LastIndexOf('/');
        return slash > 0 ? token[..slash] : token;
    }

    /// <summary>Headline words carry a tag ending in <c>-hl</c>; a line of them is a heading, kept as its own paragraph.</summary>
    private static bool IsHeadlineToken(string token)
    {
        var slash = token.LastIndexOf('/');
        return slash > 0 && token.AsSpan(slash + 1).EndsWith("-hl", StringComparison.Ordinal);
    }

    private static IEnumerable<List<string>> Paragraphs(string tagged)
    {
        var words = new List<string>();
        foreach (var line in tagged.Split('\n'))
        {
            var tokens = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (tokens.Length == 0)
            {
                if (words.Count > 0)
                {
                    yield return words;
                    words = [];
                }
                continue;
            }
            if (tokens.All(IsHeadlineToken))
            {
                if (words.Count > 0)
                {
                    yield return words;
                    words = [];
                }
                yield return [.. tokens.Select(StripTag)];
                continue;
            }
            words.AddRange(tokens.Select(StripTag));
        }
        if (words.Count > 0)
        {
            yield return words;
        }
    }

    private static void AppendParagraph(StringBuilder output, List<string> words)
    {
        var start = output.Length;
        var glueNext = true; // nothing before the first word
        var singleQuoteOpen = false;
        string? previous = null;
        foreach (var word in words)
        {
            if (previous is not null && word == previous && RepeatedAtSentenceSplit.Contains(word))
            {
                continue;
            }
            if (word == "." && previous is { Length: > 1 } && previous.EndsWith('.'))
            {
                previous = word;
                continue;
            }
            previous = word;

            string text;
            bool glueBefore, glueAfter;
            if (word == "'")
            {
                singleQuoteOpen = !singleQuoteOpen;
                text = "'";
                glueBefore = !singleQuoteOpen;
                glueAfter = singleQuoteOpen;
            }
            else
            {
                text = word is "``" or "''" ? "\"" : word;
                glueBefore = NoSpaceBefore.Contains(word);
                glueAfter = NoSpaceAfter.Contains(word);
            }
            if (!glueNext && !glueBefore && output.Length > start)
            {
                output.Append(' ');
            }
            output.Append(text);
            glueNext = glueAfter;
        }
    }
}
