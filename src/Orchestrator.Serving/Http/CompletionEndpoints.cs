using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Orchestrator.Serving.Completions;
using Orchestrator.Serving.Engine;
using Orchestrator.Serving.Telemetry;

namespace Orchestrator.Serving.Http;

/// <summary>
/// <c>POST /v1/completions</c> (whole answer, or Server-Sent Events with <c>stream</c>) and <c>GET /v1/models</c>, in the
/// shape of the OpenAI API so its clients work unchanged. Every refusal is an OpenAI error body with a 4xx/5xx status.
/// </summary>
internal static class CompletionEndpoints
{
    public static IEndpointRouteBuilder MapCompletions(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/v1/completions", CompleteAsync);
        endpoints.MapGet("/v1/models", (CompletionService service) =>
            Results.Json(new ModelListBody([new ModelBody(service.Model.Name, service.Model.CreatedUnixSeconds)]), OpenAiContracts.Json));
        endpoints.MapGet("/v1/models/{id}", (string id, CompletionService service, HttpContext context) => id == service.Model.Name
            ? Results.Json(new ModelBody(service.Model.Name, service.Model.CreatedUnixSeconds), OpenAiContracts.Json)
            : Results.Text(OpenAiErrors.Serialize($"The model '{id}' does not exist: this server serves '{service.Model.Name}'.",
                OpenAiErrors.InvalidRequest, "model", "model_not_found"), "application/json", statusCode: StatusCodes.Status404NotFound));
        return endpoints;
    }

    private static async Task CompleteAsync(HttpContext context, CompletionService service, ServingMetrics metrics, ILoggerFactory loggers)
    {
        var started = Stopwatch.GetTimestamp();
        var outcome = "error";
        var aborted = context.RequestAborted;
        try
        {
            var parsed = await ReadAsync(context.Request, aborted);
            using var completion = service.Start(parsed.Request);
            if (parsed.Stream)
                await StreamAsync(context, completion, parsed.IncludeUsage, aborted);
            else
                await RespondAsync(context, completion, aborted);
            outcome = "ok";
        }
        catch (InvalidCompletionRequestException e)
        {
            outcome = "invalid";
            await FailAsync(context, StatusCodes.Status400BadRequest, e.Message, OpenAiErrors.InvalidRequest, e.Param, e.Code);
        }
        catch (BadHttpRequestException e)
        {
            outcome = "invalid";
            await FailAsync(context, e.StatusCode, $"The request body could not be read: {e.Message}", OpenAiErrors.InvalidRequest, null, "invalid_body");
        }
        catch (QueueFullException e)
        {
            outcome = "queue_full";
            context.Response.Headers.RetryAfter = "1";
            await FailAsync(context, StatusCodes.Status429TooManyRequests, e.Message, OpenAiErrors.RateLimit, null, "queue_full");
        }
        catch (Exception e) when (aborted.IsCancellationRequested && e is OperationCanceledException or ChannelClosedException)
        {
            outcome = "cancelled";
        }
        catch (Exception e) when (Unwrap(e) is ServerStoppingException stopping)
        {
            outcome = "unavailable";
            await FailAsync(context, StatusCodes.Status503ServiceUnavailable, stopping.Message, OpenAiErrors.Server, null, "server_stopping");
        }
        catch (Exception e)
        {
            ServingLog.CompletionFailed(loggers.CreateLogger(typeof(CompletionEndpoints)), e, e.Message);
            await FailAsync(context, StatusCodes.Status500InternalServerError, $"The completion failed: {Unwrap(e).Message}", OpenAiErrors.Server, null, "internal_error");
        }
        finally
        {
            metrics.RequestFinished("http", outcome, Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    private static async Task<OpenAiCompletionRequest> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        try
        {
            using var document = await JsonDocument.ParseAsync(request.Body, default, cancellationToken);
            return OpenAiRequestReader.Read(document.RootElement);
        }
        catch (JsonException e)
        {
            throw new InvalidCompletionRequestException($"The request body is not valid JSON: {e.Message}", null, "invalid_json");
        }
    }

    private static async Task RespondAsync(HttpContext context, RunningCompletion completion, CancellationToken cancellationToken)
    {
        var result = await completion.CollectAsync(cancellationToken);
        var body = new CompletionBody(completion.Id, completion.Created, completion.Model,
            result.Choices.Select(c => new ChoiceBody(c.Text, c.Index, c.FinishReason)).ToArray(),
            new UsageBody(result.PromptTokens, result.CompletionTokens));
        await context.Response.WriteAsJsonAsync(body, OpenAiContracts.Json, cancellationToken);
    }

    /// <summary>One <c>data: {chunk}</c> event per text piece, a usage chunk when asked for, then <c>data: [DONE]</c>.</summary>
    private static async Task StreamAsync(HttpContext context, RunningCompletion completion, bool includeUsage, CancellationToken cancellationToken)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await response.StartAsync(cancellationToken);

        var completionTokens = 0;
        try
        {
            await foreach (var piece in completion.ReadAllAsync(cancellationToken))
            {
                if (piece.FinishReason is not null) completionTokens += piece.CompletionTokens;
                var chunk = new CompletionBody(completion.Id, completion.Created, completion.Model, [new ChoiceBody(piece.Text, piece.Index, piece.FinishReason)], null);
                await ServerSentEvents.WriteAsync(response, JsonSerializer.Serialize(chunk, OpenAiContracts.Json), cancellationToken);
            }
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // The status line is gone; the error travels as an event, as OpenAI does mid-stream.
            var error = Unwrap(e);
            var code = error is ServerStoppingException ? "server_stopping" : "internal_error";
            await ServerSentEvents.WriteAsync(response, OpenAiErrors.Serialize($"The completion failed: {error.Message}", OpenAiErrors.Server, null, code), cancellationToken);
            await ServerSentEvents.WriteAsync(response, ServerSentEvents.Done, cancellationToken);
            throw new StreamFailedException(error);
        }
        if (includeUsage)
        {
            var usage = new CompletionBody(completion.Id, completion.Created, completion.Model, [], new UsageBody(completion.PromptTokens, completionTokens));
            await ServerSentEvents.WriteAsync(response, JsonSerializer.Serialize(usage, OpenAiContracts.Json), cancellationToken);
        }
        await ServerSentEvents.WriteAsync(response, ServerSentEvents.Done, cancellationToken);
    }

    private static Task FailAsync(HttpContext context, int status, string message, string type, string? param, string? code)
    {
        if (context.Response.HasStarted || context.RequestAborted.IsCancellationRequested) return Task.CompletedTask;
        return OpenAiErrors.WriteAsync(context, status, message, type, param, code);
    }

    /// <summary>The error that ended a choice's channel, rather than the channel's wrapper around it.</summary>
    private static Exception Unwrap(Exception e) => e switch
    {
        ChannelClosedException { InnerException: { } inner } => Unwrap(inner),
        StreamFailedException { InnerException: { } inner } => inner,
        _ => e,
    };

    /// <summary>A stream that ended with an error event after its 200 status was sent; only the metrics still need to hear of it.</summary>
    private sealed class StreamFailedException(Exception inner) : Exception(inner.Message, inner);
}
