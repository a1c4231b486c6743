namespace Orchestrator.Collective.Errors;

/// <summary>
/// Base of every failure of a collective operation. Catch this to treat all of them alike: after any of them the
/// group is out of step and unusable, so the caller disposes it and forms a new one (the coordinator's job).
/// </summary>
public abstract class CollectiveException : Exception
{
    protected CollectiveException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
