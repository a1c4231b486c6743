using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Orchestrator.Serving.Http;

/// <summary>
/// The playground at <c>/</c>: a static page and script, embedded in the assembly so the server needs no web root and
/// no build step; the script calls <c>/v1/completions</c> with <c>stream</c> like any other client.
/// </summary>
internal static class PlaygroundEndpoints
{
    private static readonly (string Path, string Resource, string ContentType)[] Assets =
    [
        ("/", "Playground/index.html", "text/html; charset=utf-8"),
        ("/playground.js", "Playground/playground.js", "text/javascript; charset=utf-8"),
        ("/playground.css", "Playground/playground.css", "text/css; charset=utf-8"),
    ];

    public static IEndpointRouteBuilder MapPlayground(this IEndpointRouteBuilder endpoints)
    {
        foreach (var (path, resource, contentType) in Assets)
        {
            var content = Load(resource);
            endpoints.MapGet(path, () => Results.Bytes(content, contentType));
        }
        return endpoints;
    }

    private static byte[] Load(string resource)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The playground asset '{resource}' is missing from {Assembly.GetExecutingAssembly().GetName().Name}: rebuild the Serving project.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
