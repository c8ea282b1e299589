using System.Collections;
using Microsoft.Extensions.Logging;

namespace Granary.Telemetry;

/// <summary>
/// The fields every log line about a session carries, as a logging scope: SessionId, Node (the agent node it is
/// placed on; null while it waits) and Owner (the owner's user id). JSON console logs (Granary:Logging:Json) write
/// them as properties of the line's scope; the plain console, with scopes on, as "session … on … of …".
/// </summary>
public sealed class SessionLogFields(string sessionId, string? node, string? owner) : IReadOnlyList<KeyValuePair<string, object?>>
{
    private readonly KeyValuePair<string, object?>[] _fields =
        [new("SessionId", sessionId), new("Node", node), new("Owner", owner)];

    public KeyValuePair<string, object?> this[int index] => _fields[index];

    public int Count => _fields.Length;

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)_fields).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => $"session {sessionId} on {node ?? "no node yet"} of {owner}";
}

public static class SessionLog
{
    /// <summary>Every line logged in this async flow until disposed carries the session's fields, whichever logger
    /// writes it (scopes are shared by the logger factory): a session's run on its agent, a placement.</summary>
    public static IDisposable? BeginSessionScope(this ILogger logger, string sessionId, string? node, string? owner) =>
        logger.BeginScope(new SessionLogFields(sessionId, node, owner));
}

/// <summary>A logger whose every line carries one session's fields, read as each line is written (a session's node
/// changes when it is placed): for a grain whose log lines all concern one session, whatever turn or timer writes them.</summary>
public sealed class SessionLogger(ILogger inner, Func<SessionLogFields> fields) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

    public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!inner.IsEnabled(logLevel))
        {
            return;
        }
        using (inner.BeginScope(fields()))
        {
            inner.Log(logLevel, eventId, state, exception, formatter);
        }
    }
}
