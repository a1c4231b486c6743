using Orchestrator.Serving.Engine;

namespace Orchestrator.Serving.Completions;

/// <summary>
/// What both the HTTP and the gRPC front ends call: validate a request, queue its sequences for the decoding loop, and
/// hand back a <see cref="RunningCompletion"/> to stream or collect.
/// </summary>
public sealed class CompletionService(ServedModel served, ContinuousBatcher batcher, CompletionValidator validator)
{
    public ServedModel Model => served;

    /// <summary>
    /// Throws <see cref="InvalidCompletionRequestException"/> for a bad request, <see cref="QueueFullException"/> when the
    /// server is at capacity and <see cref="ServerStoppingException"/> while it shuts down; nothing is queued then.
    /// </summary>
    public RunningCompletion Start(CompletionRequest request)
    {
        var plan = validator.Validate(request);
        var job = batcher.Submit(plan.Sequences);
        return new RunningCompletion(job, plan, served.Name);
    }
}
