using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Granary.GatewayTests;

/// <summary>Keeps the formatted messages one log category (null: every category) writes at a level or above, for
/// tests that assert what was logged.</summary>
public sealed class CapturedLogs(string? category, LogLevel minimum = LogLevel.Trace) : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _messages = new();

    public IReadOnlyCollection<string> Messages => _messages;

    public ILogger CreateLogger(string categoryName) => category is null || categoryName == category
        ? new Logger(category is null ? categoryName : null, minimum, _messages)
        : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    public void Dispose()
    {
    }

    private sealed class Logger(string? prefix, LogLevel minimum, ConcurrentQueue<string> messages) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                messages.Enqueue(prefix is null ? formatter(state, exception) : $"{logLevel} {prefix}: {formatter(state, exception)} {exception}");
            }
        }
    }
}
