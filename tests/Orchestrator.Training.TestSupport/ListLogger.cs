using Microsoft.Extensions.Logging;

namespace Orchestrator.Training.TestSupport;

/// <summary>Keeps formatted log lines so tests can assert what a run reported.</summary>
public sealed class ListLogger : ILogger
{
    private readonly List<(LogLevel Level, string Message)> _lines = [];

    public IReadOnlyList<(LogLevel Level, string Message)> Lines
    {
        get { lock (_lines) return _lines.ToArray(); }
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_lines) _lines.Add((logLevel, formatter(state, exception)));
    }
}
