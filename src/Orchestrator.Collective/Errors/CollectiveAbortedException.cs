namespace Orchestrator.Collective.Errors;

/// <summary>
/// The group was stopped on this rank (an operation was cancelled or the group was disposed) while operations were
/// in flight; the ring is out of step and the group cannot be used again.
/// </summary>
public sealed class CollectiveAbortedException : CollectiveException
{
    public CollectiveAbortedException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
