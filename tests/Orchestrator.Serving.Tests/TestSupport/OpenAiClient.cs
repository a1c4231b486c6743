namespace Orchestrator.Serving.Tests.TestSupport;

/// <summary>
/// The official <c>openai</c> npm package, installed once with npm into the git-ignored <c>.cache/serving-tests</c>
/// next to the driver script. <see cref="InstallError"/> says why it is unavailable (no node/npm, registry unreachable).
/// </summary>
internal static class OpenAiClient
{
    private static readonly Lazy<string?> Installation = new(Install);

    public static string Directory => Path.Combine(RepositoryPaths.CacheFor("serving-tests"), "openai-client");

    /// <summary>Null when the client is ready; otherwise the reason it is not.</summary>
    public static string? InstallError => Installation.Value;

    private static string? Install()
    {
        if (!ExternalTools.Has("node") || !ExternalTools.Has("npm"))
            return "node and npm are not on PATH: install Node.js 20+ to run the OpenAI client test.";
        System.IO.Directory.CreateDirectory(Directory);
        var source = Path.Combine(AppContext.BaseDirectory, "Clients", "openai-client");
        foreach (var file in new[] { "package.json", "client.mjs" })
            File.Copy(Path.Combine(source, file), Path.Combine(Directory, file), overwrite: true);
        if (File.Exists(Path.Combine(Directory, "node_modules", "openai", "package.json"))) return null;
        try
        {
            var (exit, output) = ExternalTools.RunAsync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"],
                workingDirectory: Directory, timeout: TimeSpan.FromSeconds(180)).GetAwaiter().GetResult();
            return exit == 0 ? null : $"npm install of the openai package failed (is the npm registry reachable?):\n{output}";
        }
        catch (TimeoutException e)
        {
            return $"npm install of the openai package timed out (is the npm registry reachable?): {e.Message}";
        }
    }
}

/// <summary>A fact that is skipped, with npm's reason, when the official OpenAI client cannot be installed.</summary>
public sealed class NpmFactAttribute : FactAttribute
{
    public NpmFactAttribute()
    {
        if (OpenAiClient.InstallError is { } reason) Skip = reason;
    }
}
