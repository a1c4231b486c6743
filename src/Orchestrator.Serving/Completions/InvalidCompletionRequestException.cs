namespace Orchestrator.Serving.Completions;

/// <summary>
/// A request the server will not run; carries what the OpenAI error body needs: the message (naming the value at
/// fault and the accepted range), the parameter and a machine-readable code. HTTP 400 / gRPC INVALID_ARGUMENT.
/// </summary>
public sealed class InvalidCompletionRequestException(string message, string? param, string code = "invalid_value") : Exception(message)
{
    public string? Param { get; } = param;
    public string Code { get; } = code;
}
