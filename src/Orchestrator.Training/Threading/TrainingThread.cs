using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace Orchestrator.Training.Threading;

/// <summary>
/// One dedicated thread that does all of a trainer's libtorch work, from building the model to disposing it, and
/// brings every <c>await</c> continuation back to itself. TorchSharp's dispose scopes and libtorch's grad mode are
/// thread-local, and so are OpenMP's thread count and worker team: building the model on the caller's thread and
/// training on another left libtorch with two OpenMP pools on the same cores (AdamW four times slower at 2 threads).
/// </summary>
internal sealed class TrainingThread : SynchronizationContext, IDisposable
{
    private readonly BlockingCollection<(SendOrPostCallback Callback, object? State)> _queue = new();
    private readonly Thread _thread;

    public TrainingThread(string name)
    {
        _thread = new Thread(Pump) { IsBackground = true, Name = name };
        _thread.Start();
    }

    private bool OnThread => Thread.CurrentThread == _thread;

    /// <summary>Runs <paramref name="work"/> on the thread and waits for it; its exception is rethrown here with its stack.</summary>
    public T Invoke<T>(Func<T> work)
    {
        if (OnThread) return work();
        using var done = new ManualResetEventSlim();
        T result = default!;
        ExceptionDispatchInfo? failure = null;
        Post(_ =>
        {
            try
            {
                result = work();
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
            finally
            {
                done.Set();
            }
        }, null);
        done.Wait();
        failure?.Throw();
        return result;
    }

    public void Invoke(Action work) => Invoke(() =>
    {
        work();
        return true;
    });

    /// <summary>Starts <paramref name="body"/> on the thread; its continuations run there too.</summary>
    public Task<T> RunAsync<T>(Func<Task<T>> body)
    {
        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(_ =>
        {
            try
            {
                body().ContinueWith(task => completion.TrySetFromTask(task), CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
            catch (Exception e)
            {
                completion.SetException(e);
            }
        }, null);
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
            // The thread has ended; a straggler that captured this context (a progress reporter, say) runs on the pool.
            ThreadPool.QueueUserWorkItem(s => d(s), state);
        }
    }

    public override void Send(SendOrPostCallback d, object? state)
    {
        if (!OnThread)
            throw new NotSupportedException("synchronous Send into the training thread from another thread would deadlock; use Post");
        d(state);
    }

    public override SynchronizationContext CreateCopy() => this;

    /// <summary>Lets the work already queued finish, then ends the thread (waits for it unless called from it).</summary>
    public void Dispose()
    {
        _queue.CompleteAdding();
        if (!OnThread) _thread.Join();
    }

    private void Pump()
    {
        SetSynchronizationContext(this);
        foreach (var (callback, state) in _queue.GetConsumingEnumerable()) callback(state);
    }
}
