namespace Orchestrator.Training.Checkpoints;

/// <summary>
/// Hands reports to a consumer one at a time. The trainer reports steps from the training thread and checkpoints from
/// the <see cref="BackgroundCheckpointWriter"/>'s task, so a consumer written for one reporting thread (a list, a
/// console) needs this to stay correct. The two channels share one gate, so a step report and a checkpoint report
/// never run at the same time either.
/// </summary>
internal sealed class SerializedProgress<T>(IProgress<T> inner, Lock gate) : IProgress<T>
{
    public void Report(T value)
    {
        lock (gate) inner.Report(value);
    }
}

internal static class SerializedProgress
{
    public static IProgress<T>? Wrap<T>(IProgress<T>? progress, Lock gate) => progress is null ? null : new SerializedProgress<T>(progress, gate);
}
