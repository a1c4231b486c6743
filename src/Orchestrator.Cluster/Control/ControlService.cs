using Grpc.Core;
using Microsoft.Extensions.Options;
using Orchestrator.Cluster.Grains.Abstractions;
using Orchestrator.Cluster.Hosting;
using Proto = Orchestrator.Cluster.Protos;

namespace Orchestrator.Cluster.Control;

/// <summary>The control API (<c>protos/control.proto</c>) served by a coordinator: thin calls into the grains.</summary>
internal sealed class ControlService(IGrainFactory grains, IOptions<CoordinatorOptions> options, TimeProvider clock) : Proto.Control.ControlBase
{
    public override async Task<Proto.Job> SubmitJob(Proto.SubmitJobRequest request, ServerCallContext context)
    {
        if (request.Spec is null)
        {
            throw new InvalidJobSpecException("Spec", "submit request carries no job spec");
        }

        // The one place a spec is checked and the one place a job without an id gets its name.
        var spec = ControlMapping.ToDomain(request.Spec);
        var valid = ValidJobSpec.From(spec.JobId.Length == 0 ? spec with { JobId = NewJobId() } : spec);
        return ControlMapping.ToProto(await grains.GetJob(valid.JobId).SubmitAsync(valid));
    }

    public override async Task<Proto.Job> GetJob(Proto.GetJobRequest request, ServerCallContext context) =>
        ControlMapping.ToProto(await grains.GetJob(RequireJobId(request.JobId)).GetStatusAsync());

    public override async Task<Proto.ListJobsResponse> ListJobs(Proto.ListJobsRequest request, ServerCallContext context)
    {
        var ids = await grains.GetJobRegistry().ListAsync();
        var jobs = await Task.WhenAll(ids.Select(id => grains.GetJob(id).GetStatusAsync()));
        var response = new Proto.ListJobsResponse();
        response.Jobs.AddRange(jobs.Select(ControlMapping.ToProto));
        return response;
    }

    public override async Task<Proto.Job> CancelJob(Proto.CancelJobRequest request, ServerCallContext context) =>
        ControlMapping.ToProto(await grains.GetJob(RequireJobId(request.JobId)).CancelAsync(request.Reason));

    public override async Task<Proto.ListWorkersResponse> ListWorkers(Proto.ListWorkersRequest request, ServerCallContext context)
    {
        var registered = await grains.GetWorkerRegistry().ListAsync();
        var workers = await Task.WhenAll(registered.Select(w => grains.GetWorker(w.WorkerId).GetStatusAsync()));
        var response = new Proto.ListWorkersResponse();
        response.Workers.AddRange(workers.Select(ControlMapping.ToProto));
        return response;
    }

    /// <summary>Polls the job grain (every <see cref="CoordinatorOptions.WatchPollInterval"/>) and sends each new version.</summary>
    public override async Task WatchJob(Proto.WatchJobRequest request, IServerStreamWriter<Proto.JobEvent> responseStream, ServerCallContext context)
    {
        var job = grains.GetJob(RequireJobId(request.JobId));
        var ct = context.CancellationToken;
        var current = await job.GetStatusAsync();
        await responseStream.WriteAsync(new Proto.JobEvent { Kind = Proto.JobEvent.Types.Kind.Snapshot, Job = ControlMapping.ToProto(current) }, ct);
        using var timer = new PeriodicTimer(options.Value.WatchPollInterval, clock);
        while (!current.IsTerminal && await timer.WaitForNextTickAsync(ct))
        {
            var next = await job.GetStatusAsync();
            if (next.Version == current.Version)
            {
                continue;
            }

            var kind = next.State != current.State ? Proto.JobEvent.Types.Kind.StateChanged : Proto.JobEvent.Types.Kind.Progress;
            await responseStream.WriteAsync(new Proto.JobEvent { Kind = kind, Job = ControlMapping.ToProto(next) }, ct);
            current = next;
        }
    }

    private static string RequireJobId(string jobId) =>
        string.IsNullOrWhiteSpace(jobId) ? throw new InvalidJobSpecException(nameof(JobSpec.JobId), "request names no job id") : jobId;

    /// <summary>The name of a job submitted without one (<c>submit</c> prints it): its submission time, plus a random suffix so two submitted in one second differ.</summary>
    private string NewJobId() => $"job-{clock.GetUtcNow():yyyyMMdd-HHmmss}-{Random.Shared.Next(0x10000):x4}";
}
