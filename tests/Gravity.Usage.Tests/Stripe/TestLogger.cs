using Microsoft.Extensions.Logging;

namespace Gravity.Usage.Tests.Stripe;

/// <summary>A logger that keeps every formatted message and exception text.</summary>
internal class TestLogger : ILogger
{
    private readonly Lock _lock = new();
    private readonly List<LogEntry> _entries = [];

    public IReadOnlyList<LogEntry> Entries
    {
        get
        {
            lock (_lock)
            {
                return [.. _entries];
            }
        }
    }

    /// <summary>Gets everything logged as text: messages, structured values and exceptions.</summary>
    public string AllText => string.Join("\n", Entries.Select(e => $"{e.Level} {e.Message} {string.Join(";", e.State)} {e.Exception}"));

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? pairs.Select(p => $"{p.Key}={p.Value}").ToList() : [];
        lock (_lock)
        {
            _entries.Add(new LogEntry(logLevel, eventId, formatter(state, exception), values, exception?.ToString()));
        }
    }
}

internal sealed class TestLogger<T> : TestLogger, ILogger<T>
{
}

internal sealed record LogEntry(LogLevel Level, EventId EventId, string Message, IReadOnlyList<string> State, string? Exception);
