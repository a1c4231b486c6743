using Microsoft.Extensions.Options;
using Orchestrator.Cluster.Grains.Abstractions;

namespace Orchestrator.Cluster.Grains;

/// <summary>
/// One worker process's mailbox: the job grain writes directives into it, the process reads them with its
/// heartbeat. It calls only the registry, never a job grain (see <see cref="ITrainingJobGrain"/>).
/// </summary>
internal sealed class WorkerGrain(
    [PersistentState("worker", ClusterStorage.Name)] IPersistentState<WorkerGrainState> state,
    IGrainFactory grains,
    IOptions<JobPolicyOptions> policy,
    TimeProvider clock) : Grain, IWorkerGrain
{
    private string WorkerId => this.GetPrimaryKeyString();

    private IWorkerRegistryGrain Registry => grains.GetWorkerRegistry();

    public async Task RegisterAsync(WorkerInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        info.Validate(WorkerId);
        state.State.Info = info;
        state.State.Incarnation++;
        state.State.LastSeenUtc = clock.GetUtcNow();
        await state.WriteStateAsync();
        await Registry.RegisterAsync(WorkerId, info, state.State.Incarnation);
    }

    public async Task UnregisterAsync()
    {
        state.State.Info = null;
        await state.WriteStateAsync();
        await Registry.UnregisterAsync(WorkerId);
    }

    /// <remarks>
    /// Kept in memory, not written: a heartbeat every half second per worker would be a disk write each. After a
    /// coordinator restart the stored time is old, and the job counts liveness from its own activation instead.
    /// </remarks>
    public async Task<WorkerDirective> HeartbeatAsync(long step)
    {
        EnsureRegistered();
        state.State.Step = step;
        state.State.LastSeenUtc = clock.GetUtcNow();
        await Registry.TouchAsync(WorkerId);
        return state.State.Directive;
    }

    public Task<WorkerDirective> GetAssignmentAsync()
    {
        EnsureRegistered();
        return Task.FromResult(state.State.Directive);
    }

    public Task<WorkerStatus> GetStatusAsync()
    {
        var directive = state.State.Directive;
        var assignment = directive.Kind is WorkerDirectiveKind.Prepare or WorkerDirectiveKind.Run ? directive.Assignment : null;
        return Task.FromResult(new WorkerStatus
        {
            WorkerId = WorkerId,
            Info = state.State.Info,
            Incarnation = state.State.Incarnation,
            LastSeenUtc = state.State.LastSeenUtc,
            JobId = assignment?.JobId,
            Rank = assignment?.Rank,
            Step = state.State.Step,
            LastError = state.State.LastError,
            Directive = directive.Kind,
            Alive = state.State.Info is not null && state.State.LastSeenUtc is { } seen && clock.GetUtcNow() - seen <= policy.Value.WorkerLivenessTimeout,
        });
    }

    public async Task AssignAsync(WorkerAssignment assignment)
    {
        state.State.Directive = new WorkerDirective
        {
            Kind = WorkerDirectiveKind.Prepare,
            Assignment = assignment,
            JobId = assignment.JobId,
        };
        await state.WriteStateAsync();
    }

    public async Task StartAsync(string jobId, int attempt)
    {
        var current = state.State.Directive;
        if (current.Assignment is not { } assignment || assignment.JobId != jobId || assignment.Attempt != attempt)
        {
            throw new InvalidOperationException(
                $"worker '{WorkerId}' holds no assignment for job '{jobId}' attempt {attempt} (directive: {current.Kind} for '{current.JobId}'), so it cannot start it");
        }

        state.State.Directive = current with { Kind = WorkerDirectiveKind.Run };
        await state.WriteStateAsync();
    }

    public async Task ReleaseAsync(string jobId, string reason, string? error)
    {
        if (state.State.Directive.JobId == jobId && state.State.Directive.Kind != WorkerDirectiveKind.Stop)
        {
            state.State.Directive = new WorkerDirective { Kind = WorkerDirectiveKind.Stop, JobId = jobId, Reason = reason };
        }

        if (error is not null)
        {
            state.State.LastError = error;
        }

        await state.WriteStateAsync();
        await Registry.ReleaseAsync(WorkerId, jobId);
    }

    private void EnsureRegistered()
    {
        if (state.State.Info is null)
        {
            throw new WorkerProtocolException($"worker '{WorkerId}' is not registered: call RegisterAsync before polling or heartbeating");
        }
    }
}
