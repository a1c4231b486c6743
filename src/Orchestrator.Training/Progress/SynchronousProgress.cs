namespace Orchestrator.Training.Progress;

/// <summary>
/// Runs the callback on the reporting thread (unlike <see cref="Progress{T}"/>, which posts to the thread pool): a
/// consumer that must see a report before the trainer goes on (metrics per step, a test stopping at a step) needs it.
/// </summary>
public sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
