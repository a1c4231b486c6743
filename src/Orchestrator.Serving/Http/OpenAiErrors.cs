using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Orchestrator.Serving.Http;

/// <summary>Writes errors in the OpenAI shape, as a response of their own or, once a stream has started, as an event in it.</summary>
internal static class OpenAiErrors
{
    public const string InvalidRequest = "invalid_request_error";
    public const string RateLimit = "rate_limit_error";
    public const string Server = "server_error";

    public static Task WriteAsync(HttpContext context, int status, string message, string type, string? param, string? code)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(Serialize(message, type, param, code), context.RequestAborted);
    }

    public static string Serialize(string message, string type, string? param, string? code) =>
        JsonSerializer.Serialize(new ErrorEnvelope(new ErrorBody(message, type, param, code)), OpenAiContracts.Json);
}
