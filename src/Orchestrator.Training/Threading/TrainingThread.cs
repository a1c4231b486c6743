using System.Collections.Concurrent;

namespace Orchestrator.Training.Threading;

/// <summary>
/// Runs an async body on one dedicated thread and brings every <c>await</c> continuation back to it. The training
/// loop needs this because TorchSharp's dispose scopes and libtorch's grad mode are thread-local: a step that awaits
/// gradient exchange must resume on the thread whose scope owns its tensors, not on a thread-pool thread.
/// </summary>
internal sealed class TrainingThread : SynchronizationContext
{
    private readonly BlockingCollection<(SendOrPostCallback Callback, object? State)> _queue = new();
    private Thread? _thread;

    public static Task<T> RunAsync<T>(Func<Task<T>> body, string threadName)
    {
        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var context = new TrainingThread();
        context._thread = new Thread(() => context.Pump(body, completion)) { IsBackground = true, Name = threadName };
        context._thread.Start();
        return completion.Task;
    }

    public override void Post(SendOrPostCallback d, object? state)
    {
        try
        {
            _queue.Add((d, state));
        }
        catch (InvalidOperationException) when (_queue.IsAddingCompleted)
        {
            // The loop has finished; a straggler that captured this context (a progress reporter, say) runs on the pool.
            ThreadPool.QueueUserWorkItem(s => d(s), state);
        }
    }

    public override void Send(SendOrPostCallback d, object? state)
    {
        if (Thread.CurrentThread != _thread)
            throw new NotSupportedException("synchronous Send into the training thread from another thread would deadlock; use Post");
        d(state);
    }

    public override SynchronizationContext CreateCopy() => this;

    private void Pump<T>(Func<Task<T>> body, TaskCompletionSource<T> completion)
    {
        SetSynchronizationContext(this);
        Task<T> task;
        try
        {
            task = body();
        }
        catch (Exception e)
        {
            completion.SetException(e);
            return;
        }
        task.ContinueWith(_ => _queue.CompleteAdding(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        foreach (var (callback, state) in _queue.GetConsumingEnumerable()) callback(state);
        completion.TrySetFromTask(task);
    }
}
