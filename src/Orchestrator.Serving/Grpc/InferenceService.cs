using System.Diagnostics;
using System.Threading.Channels;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Orchestrator.Serving.Completions;
using Orchestrator.Serving.Engine;
using Orchestrator.Serving.Protos;
using Orchestrator.Serving.Telemetry;

namespace Orchestrator.Serving.Grpc;

/// <summary>
/// gRPC <c>Generate</c>: the same validation, queue and decoding loop as <c>POST /v1/completions</c>, so the same request
/// and seed give the same text on both protocols. Refusals map to INVALID_ARGUMENT, RESOURCE_EXHAUSTED and UNAVAILABLE.
/// </summary>
internal sealed class InferenceService(CompletionService completions, ServingMetrics metrics, ILogger<InferenceService> logger) : Protos.Inference.InferenceBase
{
    public override async Task Generate(GenerateRequest request, IServerStreamWriter<GenerateResponse> responseStream, ServerCallContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var outcome = "error";
        var cancellationToken = context.CancellationToken;
        try
        {
            using var completion = Start(request);
            var completionTokens = 0;
            var finished = 0;
            await foreach (var piece in completion.ReadAllAsync(cancellationToken))
            {
                var response = new GenerateResponse { Index = piece.Index, Text = piece.Text, FinishReason = piece.FinishReason ?? "" };
                if (piece.FinishReason is not null)
                {
                    completionTokens += piece.CompletionTokens;
                    if (++finished == completion.ChoiceCount)
                        response.Usage = new Usage
                        {
                            PromptTokens = completion.PromptTokens,
                            CompletionTokens = completionTokens,
                            TotalTokens = completion.PromptTokens + completionTokens,
                        };
                }
                await responseStream.WriteAsync(response, cancellationToken);
            }
            outcome = "ok";
        }
        catch (Exception e) when (cancellationToken.IsCancellationRequested && e is OperationCanceledException or ChannelClosedException)
        {
            outcome = "cancelled";
            throw new RpcException(new Status(StatusCode.Cancelled, "The call was cancelled by the client."));
        }
        catch (InvalidCompletionRequestException e)
        {
            outcome = "invalid";
            throw new RpcException(new Status(StatusCode.InvalidArgument, e.Param is null ? e.Message : $"{e.Param}: {e.Message}"));
        }
        catch (QueueFullException e)
        {
            outcome = "queue_full";
            throw new RpcException(new Status(StatusCode.ResourceExhausted, e.Message));
        }
        catch (Exception e) when (Unwrap(e) is ServerStoppingException stopping)
        {
            outcome = "unavailable";
            throw new RpcException(new Status(StatusCode.Unavailable, stopping.Message));
        }
        catch (Exception e) when (e is not RpcException)
        {
            ServingLog.GenerateFailed(logger, e, e.Message);
            throw new RpcException(new Status(StatusCode.Internal, $"The completion failed: {Unwrap(e).Message}"));
        }
        finally
        {
            metrics.RequestFinished("grpc", outcome, Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    private RunningCompletion Start(GenerateRequest request) => completions.Start(new CompletionRequest
    {
        Model = request.Model.Length > 0 ? request.Model : null,
        Prompts = [request.Prompt],
        MaxTokens = request.HasMaxTokens ? request.MaxTokens : null,
        Temperature = request.HasTemperature ? request.Temperature : null,
        TopP = request.HasTopP ? request.TopP : null,
        TopK = request.HasTopK ? request.TopK : null,
        Stop = [.. request.Stop],
        Seed = request.HasSeed ? request.Seed : null,
        N = request.HasN ? request.N : null,
    });

    private static Exception Unwrap(Exception e) => e is ChannelClosedException { InnerException: { } inner } ? inner : e;
}
