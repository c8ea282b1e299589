using static Granary.Sessions.SessionStatus;

namespace Granary.Sessions;

/// <summary>The session state machine: the explicit table of allowed status transitions.</summary>
public static class SessionTransitions
{
    /// <summary>from → the statuses it may move to. A status not listed as a key, or with no targets, is final.</summary>
    public static readonly IReadOnlyDictionary<SessionStatus, SessionStatus[]> Table = new Dictionary<SessionStatus, SessionStatus[]>
    {
        [Pending] = [Scheduled, Cancelled, Error, Terminating],
        [Scheduled] = [Preparing, Pending /* agent refused */, Terminating, Error],
        [Preparing] = [Pulling, Running, Terminating, Error],
        [Pulling] = [Preparing, Running, Terminating, Error],
        [Running] = [Terminating, Terminated /* batch exit */, Error],
        [Terminating] = [Terminated, Error],
        [Terminated] = [],
        [Error] = [],
        [Cancelled] = [],
    };

    public static bool IsAllowed(SessionStatus from, SessionStatus to) =>
        Table.TryGetValue(from, out var targets) && Array.IndexOf(targets, to) >= 0;

    /// <summary>Throws InvalidSessionTransitionException when from → to is not in the table.</summary>
    public static void Ensure(SessionStatus from, SessionStatus to)
    {
        if (!IsAllowed(from, to)) throw new InvalidSessionTransitionException(from, to);
    }

    /// <summary>TERMINATED, ERROR and CANCELLED: nothing follows them.</summary>
    public static bool IsFinal(SessionStatus status) => !Table.TryGetValue(status, out var targets) || targets.Length == 0;
}
