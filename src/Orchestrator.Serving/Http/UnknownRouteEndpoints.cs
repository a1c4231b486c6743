using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Orchestrator.Serving.Http;

/// <summary>
/// Any path the server does not offer (a client trying <c>/v1/chat/completions</c>) gets a 404 with an OpenAI-style
/// JSON error body naming the route and what is served, so OpenAI client libraries show a readable error instead of
/// failing to parse an empty response.
/// </summary>
internal static class UnknownRouteEndpoints
{
    public static IEndpointRouteBuilder MapUnknownRoutes(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapFallback(context => OpenAiErrors.WriteAsync(context, StatusCodes.Status404NotFound,
            $"Invalid URL ({context.Request.Method} {context.Request.Path}): this server offers POST /v1/completions, GET /v1/models, " +
            "GET /healthz, GET /metrics and the playground at /.",
            OpenAiErrors.InvalidRequest, param: null, code: "unknown_url"));
        return endpoints;
    }
}
