using System.Net;
using System.Text.RegularExpressions;
using Orchestrator.Serving.Tests.TestSupport;

namespace Orchestrator.Serving.Tests.Playground;

/// <summary>The playground page in a real browser (headless Chromium): it loads, streams a completion and renders it.</summary>
[Collection(ServerCollection.Name)]
public sealed partial class PlaygroundTests(ServerFixture server)
{
    private static readonly string[] ChromiumFlags =
        ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run", "--virtual-time-budget=15000"];

    [Fact]
    public async Task The_playground_page_and_its_assets_are_served()
    {
        var page = await server.Http.GetStringAsync("/");
        Assert.Contains("<textarea id=\"prompt\"", page);
        Assert.Contains("/playground.js", page);
        using var script = await server.Http.GetAsync("/playground.js");
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        Assert.Contains("/v1/completions", await script.Content.ReadAsStringAsync());
    }

    [ToolFact("chromium")]
    public async Task Headless_chromium_streams_a_completion_into_the_page_and_screenshots_it()
    {
        const string prompt = "ROMEO:";
        var expected = OpenAiHttp.Text(await OpenAiHttp.CompleteAsync(server.Http, new { prompt, max_tokens = 60, temperature = 0 }));
        var page = new Uri(server.Host.Url, $"/?prompt={Uri.EscapeDataString(prompt)}&max_tokens=60&temperature=0&autorun=1").ToString();
        using var profile = new TempDirectory();

        var (exit, dom) = await ExternalTools.RunAsync("chromium", [.. ChromiumFlags, $"--user-data-dir={profile.Sub("dom")}", "--dump-dom", page], timeout: TimeSpan.FromSeconds(90));
        Assert.True(exit == 0, $"chromium --dump-dom failed:\n{dom}");
        Assert.True(dom.Contains("<pre id=\"output\" data-state=\"done\">", StringComparison.Ordinal), $"the page did not finish streaming:\n{dom}");
        Assert.Equal(expected, WebUtility.HtmlDecode(Completion().Match(dom).Groups[1].Value));

        var screenshot = profile.Sub("playground.png");
        var (shotExit, shotOutput) = await ExternalTools.RunAsync("chromium",
            [.. ChromiumFlags, $"--user-data-dir={profile.Sub("shot")}", "--window-size=1100,900", $"--screenshot={screenshot}", page], timeout: TimeSpan.FromSeconds(90));
        Assert.True(shotExit == 0 && File.Exists(screenshot), $"chromium --screenshot failed:\n{shotOutput}");
        var png = await File.ReadAllBytesAsync(screenshot);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        Assert.True(png.Length > 20_000, $"the screenshot has only {png.Length} bytes: the page did not render");
        var keep = Path.Combine(RepositoryPaths.CacheFor("serving-tests"), "playground.png");
        Directory.CreateDirectory(RepositoryPaths.CacheFor("serving-tests"));
        File.Copy(screenshot, keep, overwrite: true);
    }

    [GeneratedRegex("<span id=\"completion\">(.*?)</span>", RegexOptions.Singleline)]
    private static partial Regex Completion();
}
