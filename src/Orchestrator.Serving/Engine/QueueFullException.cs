namespace Orchestrator.Serving.Engine;

/// <summary>
/// The decoding queue cannot take a request's sequences now; clients should retry later (HTTP 429 / RESOURCE_EXHAUSTED).
/// </summary>
public sealed class QueueFullException(int waiting, int requested, int capacity)
    : Exception($"The server is at capacity: {waiting} sequences are waiting for a batch slot and this request adds {requested}, " +
                $"but the queue holds at most {capacity}. Retry after a short wait, or start the server with a larger --queue.")
{
    public int Waiting { get; } = waiting;
    public int Capacity { get; } = capacity;
}

/// <summary>The server is stopping and will not finish this request (HTTP 503 / UNAVAILABLE).</summary>
public sealed class ServerStoppingException()
    : Exception("The server is shutting down and did not finish this request: retry against another instance or after restart.");
