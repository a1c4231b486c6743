using Google.Protobuf.WellKnownTypes;
using Orchestrator.Cluster.Grains.Abstractions;
using Proto = Orchestrator.Cluster.Protos;

namespace Orchestrator.Cluster.Control;

/// <summary>
/// Translation between the grain records and the control API's wire messages, both directions in one place so
/// the server and <see cref="ControlClient"/> cannot drift apart.
/// </summary>
public static class ControlMapping
{
    public static Proto.JobSpec ToProto(JobSpec spec) => new()
    {
        JobId = spec.JobId,
        DataDir = spec.DataDir,
        RunDir = spec.RunDir,
        ConfigJson = spec.ConfigJson,
        WorldSize = spec.WorldSize,
        MinWorkers = spec.MinWorkers ?? 0,
        MaxWorkers = spec.MaxWorkers ?? 0,
        Resume = spec.Resume,
        MaxRestarts = spec.MaxRestarts,
    };

    /// <summary>Zero min/max workers on the wire mean "not given" (same as the world size).</summary>
    public static JobSpec ToDomain(Proto.JobSpec spec) => new()
    {
        JobId = spec.JobId,
        DataDir = spec.DataDir,
        RunDir = spec.RunDir,
        ConfigJson = spec.ConfigJson,
        WorldSize = spec.WorldSize,
        MinWorkers = spec.MinWorkers == 0 ? null : spec.MinWorkers,
        MaxWorkers = spec.MaxWorkers == 0 ? null : spec.MaxWorkers,
        Resume = spec.Resume,
        MaxRestarts = spec.MaxRestarts,
    };

    public static Proto.Job ToProto(JobStatus job)
    {
        var message = new Proto.Job
        {
            Spec = ToProto(job.Spec),
            State = ToProto(job.State),
            Attempt = job.Attempt,
            Step = job.Step,
            TokensPerSecond = job.TokensPerSecond,
            FailureReason = job.FailureReason ?? "",
            WaitingReason = job.WaitingReason ?? "",
            Version = job.Version,
            SubmittedAt = Timestamp.FromDateTimeOffset(job.SubmittedUtc),
            UpdatedAt = Timestamp.FromDateTimeOffset(job.UpdatedUtc),
        };
        if (job.LastLoss is { } loss)
        {
            message.LastLoss = loss;
        }

        if (job.LatestCheckpoint is { } checkpoint)
        {
            message.LatestCheckpoint = ToProto(checkpoint);
        }

        message.Members.AddRange(job.Members.Select(ToProto));
        message.History.AddRange(job.History.Select(ToProto));
        return message;
    }

    public static JobStatus ToDomain(Proto.Job job) => new()
    {
        Spec = ToDomain(job.Spec),
        State = ToDomain(job.State),
        Attempt = job.Attempt,
        Members = job.Members.Select(ToDomain).ToArray(),
        Step = job.Step,
        LastLoss = job.HasLastLoss ? job.LastLoss : null,
        TokensPerSecond = job.TokensPerSecond,
        LatestCheckpoint = job.LatestCheckpoint is { } checkpoint ? ToDomain(checkpoint) : null,
        FailureReason = job.FailureReason.Length == 0 ? null : job.FailureReason,
        WaitingReason = job.WaitingReason.Length == 0 ? null : job.WaitingReason,
        History = job.History.Select(ToDomain).ToArray(),
        Version = job.Version,
        SubmittedUtc = job.SubmittedAt.ToDateTimeOffset(),
        UpdatedUtc = job.UpdatedAt.ToDateTimeOffset(),
    };

    public static Proto.JobMember ToProto(JobMember member) => new()
    {
        WorkerId = member.WorkerId,
        Rank = member.Rank,
        GrpcEndpoint = member.GrpcEndpoint,
        Ready = member.Ready,
        Step = member.Step,
        TokensPerSecond = member.TokensPerSecond,
        Timing = member.Timing is { } timing ? ToProto(timing) : null,
    };

    public static JobMember ToDomain(Proto.JobMember member) => new()
    {
        WorkerId = member.WorkerId,
        Rank = member.Rank,
        GrpcEndpoint = member.GrpcEndpoint,
        Ready = member.Ready,
        Step = member.Step,
        TokensPerSecond = member.TokensPerSecond,
        Timing = member.Timing is { } timing ? ToDomain(timing) : null,
    };

    /// <summary>A transition from no state (the submission) is <c>Unspecified</c> on the wire.</summary>
    public static Proto.JobTransition ToProto(JobTransition transition) => new()
    {
        From = transition.From is { } from ? ToProto(from) : Proto.JobState.Unspecified,
        To = ToProto(transition.To),
        At = Timestamp.FromDateTimeOffset(transition.AtUtc),
        Reason = transition.Reason,
    };

    public static JobTransition ToDomain(Proto.JobTransition transition) => new()
    {
        From = transition.From == Proto.JobState.Unspecified ? null : ToDomain(transition.From),
        To = ToDomain(transition.To),
        AtUtc = transition.At.ToDateTimeOffset(),
        Reason = transition.Reason,
    };

    public static Proto.StepTiming ToProto(StepTiming timing) => new()
    {
        StepSeconds = timing.StepSeconds,
        AllreduceWaitSeconds = timing.AllReduceWaitSeconds,
        SendWaitSeconds = timing.SendWaitSeconds,
    };

    public static StepTiming ToDomain(Proto.StepTiming timing) => new()
    {
        StepSeconds = timing.StepSeconds,
        AllReduceWaitSeconds = timing.AllreduceWaitSeconds,
        SendWaitSeconds = timing.SendWaitSeconds,
    };

    public static Proto.Checkpoint ToProto(CheckpointRecord checkpoint)
    {
        var message = new Proto.Checkpoint
        {
            Step = checkpoint.Step,
            Path = checkpoint.Path,
            Sha256 = checkpoint.Sha256,
            SavedAt = Timestamp.FromDateTimeOffset(checkpoint.SavedUtc),
        };
        if (checkpoint.ValLoss is { } loss)
        {
            message.ValLoss = loss;
        }

        return message;
    }

    public static CheckpointRecord ToDomain(Proto.Checkpoint checkpoint) => new()
    {
        Step = checkpoint.Step,
        Path = checkpoint.Path,
        Sha256 = checkpoint.Sha256,
        ValLoss = checkpoint.HasValLoss ? checkpoint.ValLoss : null,
        SavedUtc = checkpoint.SavedAt.ToDateTimeOffset(),
    };

    public static Proto.Worker ToProto(WorkerStatus worker) => new()
    {
        WorkerId = worker.WorkerId,
        Host = worker.Info?.Host ?? "",
        GrpcEndpoint = worker.Info?.GrpcEndpoint ?? "",
        Device = worker.Info?.Device ?? "",
        Threads = worker.Info?.Threads ?? 0,
        Pid = worker.Info?.Pid ?? 0,
        JobId = worker.JobId ?? "",
        Rank = worker.Rank ?? -1,
        Step = worker.Step,
        LastSeen = worker.LastSeenUtc is { } seen ? Timestamp.FromDateTimeOffset(seen) : null,
        LastError = worker.LastError ?? "",
        Alive = worker.Alive,
    };

    public static WorkerStatus ToDomain(Proto.Worker worker) => new()
    {
        WorkerId = worker.WorkerId,
        Info = new WorkerInfo
        {
            Host = worker.Host,
            GrpcEndpoint = worker.GrpcEndpoint,
            Device = worker.Device,
            Threads = worker.Threads,
            Pid = worker.Pid,
        },
        JobId = worker.JobId.Length == 0 ? null : worker.JobId,
        Rank = worker.Rank < 0 ? null : worker.Rank,
        Step = worker.Step,
        LastSeenUtc = worker.LastSeen?.ToDateTimeOffset(),
        LastError = worker.LastError.Length == 0 ? null : worker.LastError,
        Alive = worker.Alive,
    };

    public static Proto.JobState ToProto(JobState state) => state switch
    {
        JobState.Pending => Proto.JobState.Pending,
        JobState.Forming => Proto.JobState.Forming,
        JobState.Running => Proto.JobState.Running,
        JobState.Recovering => Proto.JobState.Recovering,
        JobState.Completed => Proto.JobState.Completed,
        JobState.Failed => Proto.JobState.Failed,
        JobState.Cancelled => Proto.JobState.Cancelled,
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "not a job state"),
    };

    public static JobState ToDomain(Proto.JobState state) => state switch
    {
        Proto.JobState.Pending => JobState.Pending,
        Proto.JobState.Forming => JobState.Forming,
        Proto.JobState.Running => JobState.Running,
        Proto.JobState.Recovering => JobState.Recovering,
        Proto.JobState.Completed => JobState.Completed,
        Proto.JobState.Failed => JobState.Failed,
        Proto.JobState.Cancelled => JobState.Cancelled,
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "the coordinator sent a job state this client does not know; upgrade the client"),
    };
}
