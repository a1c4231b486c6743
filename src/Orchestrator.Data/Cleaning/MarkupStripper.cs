using System.Net;
using System.Text.RegularExpressions;

namespace Orchestrator.Data.Cleaning;

/// <summary>
/// Removes HTML/XML markup from scraped text and decodes character entities, so the model learns prose rather than
/// <c>&lt;div class=...&gt;</c>. Comments, doctype/processing instructions and script/style blocks go with their content;
/// CDATA keeps its content; block-level tags become line breaks so paragraphs do not run together.
/// An opening tag is only treated as markup when it is an HTML element or its name is closed somewhere in the
/// document, so prose such as "if a&lt;b and c&gt;d" survives. Regexes run non-backtracking: hostile input cannot make
/// them slow.
/// </summary>
public static class MarkupStripper
{
    private const string Name = "[A-Za-z][A-Za-z0-9:._-]*";
    private const string Attribute = """\s+[A-Za-z_:][-A-Za-z0-9_:.]*(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?""";

    private static readonly Regex Markup = new(
        "(?<comment><!--.*?-->)" +
        @"|<!\[CDATA\[(?<cdata>.*?)\]\]>" +
        "|(?<declaration><![A-Za-z][^<>]*>)" +
        @"|(?<instruction><\?.*?\?>)" +
        @"|(?<code><script\b[^>]*>.*?</script\s*>|<style\b[^>]*>.*?</style\s*>)" +
        $@"|(?<tag><(?<closing>/)?(?<name>{Name})(?:{Attribute})*\s*/?>)",
        RegexOptions.NonBacktracking | RegexOptions.Singleline | RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    private static readonly Regex ClosingTag = new(
        $@"</(?<name>{Name})\s*>",
        RegexOptions.NonBacktracking | RegexOptions.CultureInvariant);

    private static readonly Regex Entity = new(
        "&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});",
        RegexOptions.NonBacktracking | RegexOptions.CultureInvariant);

    private static readonly HashSet<string> HtmlElements = new(StringComparer.OrdinalIgnoreCase)
    {
        "a", "abbr", "address", "article", "aside", "audio", "b", "base", "bdi", "bdo", "big", "blockquote", "body", "br",
        "button", "canvas", "caption", "center", "cite", "code", "col", "colgroup", "dd", "del", "details", "dfn", "dialog",
        "div", "dl", "dt", "em", "embed", "fieldset", "figcaption", "figure", "font", "footer", "form", "h1", "h2", "h3",
        "h4", "h5", "h6", "head", "header", "hr", "html", "i", "iframe", "img", "input", "ins", "kbd", "label", "legend",
        "li", "link", "main", "mark", "meta", "nav", "noscript", "object", "ol", "optgroup", "option", "p", "param",
        "picture", "pre", "q", "s", "samp", "section", "select", "small", "source", "span", "strike", "strong", "sub",
        "summary", "sup", "svg", "table", "tbody", "td", "template", "textarea", "tfoot", "th", "thead", "time", "title",
        "tr", "tt", "u", "ul", "var", "video", "wbr",
    };

    private static readonly HashSet<string> BlockElements = new(StringComparer.OrdinalIgnoreCase)
    {
        "address", "article", "aside", "blockquote", "br", "caption", "dd", "details", "div", "dl", "dt", "figcaption",
        "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p",
        "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "title", "tr", "ul",
    };

    public static string Strip(string text, out int tagsRemoved, out int entitiesDecoded)
    {
        var withoutTags = RemoveMarkup(text, out tagsRemoved);
        var decoded = DecodeEntities(withoutTags, out entitiesDecoded);
        return tagsRemoved == 0 && entitiesDecoded == 0 ? text : decoded;
    }

    private static string RemoveMarkup(string text, out int removed)
    {
        removed = 0;
        if (!text.Contains('<'))
        {
            return text;
        }
        var closedNames = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (Match match in ClosingTag.Matches(text))
        {
            closedNames.Add(match.Groups["name"].Value);
        }
        var count = 0;
        var result = Markup.Replace(text, match =>
        {
            if (match.Groups["cdata"].Success)
            {
                count++;
                return match.Groups["cdata"].Value;
            }
            if (!match.Groups["tag"].Success)
            {
                count++;
                return string.Empty;
            }
            var name = match.Groups["name"].Value;
            var isMarkup = match.Groups["closing"].Success || HtmlElements.Contains(name) || closedNames.Contains(name);
            if (!isMarkup)
            {
                return match.Value;
            }
            count++;
            return BlockElements.Contains(name) ? "\n" : string.Empty;
        });
        removed = count;
        return result;
    }

    private static string DecodeEntities(string text, out int decoded)
    {
        decoded = 0;
        if (!text.Contains('&'))
        {
            return text;
        }
        var count = 0;
        var result = Entity.Replace(text, match =>
        {
            var value = WebUtility.HtmlDecode(match.Value);
            if (string.Equals(value, match.Value, StringComparison.Ordinal))
            {
                return match.Value;
            }
            count++;
            return value;
        });
        decoded = count;
        return result;
    }
}
