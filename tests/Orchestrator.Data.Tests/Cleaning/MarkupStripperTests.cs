using System.Diagnostics;
using Orchestrator.Data.Cleaning;

namespace Orchestrator.Data.Tests.Cleaning;

public sealed class MarkupStripperTests
{
    [Fact]
    public void Html_page_keeps_only_its_text_with_block_tags_as_line_breaks()
    {
        const string html =
            "<!DOCTYPE html><html><head><title>T</title><style>p { color: red }</style>" +
            "<script type=\"text/javascript\">if (a<b && c>d) { alert('<p>'); }</script></head>" +
            "<body><p class=\"x\">Hello&nbsp;<b>world</b> &amp; friends &lt;3</p><!-- a <p>comment</p> --><p>Bye</p></body></html>";

        var text = MarkupStripper.Strip(html, out var tags, out var entities);

        Assert.Equal("\nT\n\nHello\u00A0world & friends <3\n\nBye\n", text);
        Assert.Equal(18, tags);
        Assert.Equal(3, entities);
    }

    [Fact]
    public void Quoted_attribute_values_may_hold_angle_brackets()
    {
        Assert.Equal("link", MarkupStripper.Strip("<a href=\"/x?a>b\" title='<c>'>link</a>", out var tags, out _));
        Assert.Equal(2, tags);
    }

    [Fact]
    public void Xml_elements_closed_in_the_document_are_markup_and_cdata_keeps_its_text()
    {
        var text = MarkupStripper.Strip("<?xml version=\"1.0\"?><doc><verse n=\"1\">In the beginning</verse><![CDATA[a < b]]></doc>", out var tags, out _);

        Assert.Equal("In the beginninga < b", text);
        Assert.Equal(6, tags);
    }

    [Fact]
    public void Comparisons_and_unknown_tags_in_prose_are_left_alone()
    {
        const string prose = "if x<y and y>z then <unclosed and <div at the end; Senators, &C: and &c. & &bogus; remain";

        Assert.Equal(prose, MarkupStripper.Strip(prose, out var tags, out var entities));
        Assert.Equal(0, tags);
        Assert.Equal(0, entities);
    }

    [Fact]
    public void Entities_are_decoded_once_not_recursively()
    {
        Assert.Equal("&lt; \u00E9 \u20AC ' \U0001F600", MarkupStripper.Strip("&amp;lt; &eacute; &#8364; &#x27; &#x1F600;", out _, out var entities));
        Assert.Equal(5, entities);
    }

    [Fact]
    public void Hostile_unclosed_markup_is_stripped_in_linear_time()
    {
        var hostile = "<a " + string.Concat(Enumerable.Repeat("b=\"c\" ", 50_000)) + string.Concat(Enumerable.Repeat("<!--<", 50_000));
        var watch = Stopwatch.StartNew();

        var text = MarkupStripper.Strip(hostile, out var tags, out _);

        Assert.Equal(hostile, text);
        Assert.Equal(0, tags);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
    }
}
