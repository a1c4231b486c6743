using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Orchestrator.Serving.Engine;

namespace Orchestrator.Serving.Http;

/// <summary>
/// <c>/healthz</c> (liveness: the decoding loop is alive; restart the process when it is not) and <c>/readyz</c>
/// (readiness: the model is loaded and warmed up; send traffic now).
/// </summary>
internal static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/healthz", (ContinuousBatcher batcher) => batcher.IsHealthy
            ? Results.Text("ok\n")
            : Results.Text("the decoding loop has stopped\n", statusCode: StatusCodes.Status503ServiceUnavailable));
        endpoints.MapGet("/readyz", (ContinuousBatcher batcher) => batcher.Ready.IsCompletedSuccessfully && batcher.IsHealthy
            ? Results.Text("ready\n")
            : Results.Text("not ready: the model is loading or the server is stopping\n", statusCode: StatusCodes.Status503ServiceUnavailable));
        return endpoints;
    }
}
