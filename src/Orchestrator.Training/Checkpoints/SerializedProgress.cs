namespace Orchestrator.Training.Checkpoints;

/// <summary>
/// Hands reports to a consumer one at a time. The trainer reports steps from the training thread and checkpoints from
/// the <see cref="BackgroundCheckpointWriter"/>'s task, so a consumer written for one reporting thread (a list, a
/// console) needs this to stay correct.
/// </summary>
internal sealed class SerializedProgress<T>(IProgress<T> inner) : IProgress<T>
{
    private readonly Lock _gate = new();

    public void Report(T value)
    {
        lock (_gate) inner.Report(value);
    }
}

internal static class SerializedProgress
{
    public static IProgress<T>? Wrap<T>(IProgress<T>? progress) => progress is null ? null : new SerializedProgress<T>(progress);
}
