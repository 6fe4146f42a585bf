using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Gravity.Usage.IntegrationTests.EndToEnd;

/// <summary>One log entry as a log sink would see it: the formatted message, every structured value and the exception text.</summary>
public sealed record CapturedLog(string Category, LogLevel Level, EventId EventId, string Message, IReadOnlyList<string> Values, string? Exception)
{
    /// <summary>Everything of the entry that could be written somewhere.</summary>
    public string AllText => string.Join('\n', [Category, Message, .. Values, Exception ?? string.Empty]);
}

/// <summary>Records every log entry at every level, from any number of service providers.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<CapturedLog> _entries = new();

    public IReadOnlyList<CapturedLog> Entries => [.. _entries];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
        // The entries stay readable after the providers that logged into them are disposed.
    }

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? pairs.Select(p => $"{p.Key}={p.Value}").ToList()
                : [state?.ToString() ?? string.Empty];
            owner._entries.Enqueue(new CapturedLog(category, logLevel, eventId, formatter(state, exception), values, exception?.ToString()));
        }
    }
}
