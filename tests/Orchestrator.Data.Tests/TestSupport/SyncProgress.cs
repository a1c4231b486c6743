namespace Orchestrator.Data.Tests.TestSupport;

/// <summary>Collects progress messages synchronously (Progress&lt;T&gt; posts them later, on the thread pool).</summary>
public sealed class SyncProgress(List<string> messages) : IProgress<string>
{
    public void Report(string value)
    {
        lock (messages)
        {
            messages.Add(value);
        }
    }
}
