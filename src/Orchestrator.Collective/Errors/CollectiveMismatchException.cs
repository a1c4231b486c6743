namespace Orchestrator.Collective.Errors;

/// <summary>
/// Ranks disagree about the group or an operation (its kind, size or order): every rank must make the same
/// collective calls in the same order with buffers of the same lengths.
/// </summary>
public sealed class CollectiveMismatchException : CollectiveException
{
    public CollectiveMismatchException(string message)
        : base(message)
    {
    }
}
