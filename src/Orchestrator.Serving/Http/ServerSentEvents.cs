using System.Text;
using Microsoft.AspNetCore.Http;

namespace Orchestrator.Serving.Http;

/// <summary>
/// Server-Sent Events framing as OpenAI streams use it: <c>data: payload</c> and a blank line per event, flushed at
/// once so each token reaches the client as it is decoded, and a final <c>data: [DONE]</c>.
/// </summary>
internal static class ServerSentEvents
{
    public const string Done = "[DONE]";

    public static async Task WriteAsync(HttpResponse response, string payload, CancellationToken cancellationToken)
    {
        await response.Body.WriteAsync(Encoding.UTF8.GetBytes($"data: {payload}\n\n"), cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }
}
