namespace Granary.Sessions;

/// <summary>The session state machine: the explicit table of allowed status transitions.</summary>
public static class SessionTransitions
{
    public static bool IsAllowed(SessionStatus from, SessionStatus to) => throw new NotImplementedException();

    /// <summary>Throws InvalidSessionTransitionException when from → to is not in the table.</summary>
    public static void Ensure(SessionStatus from, SessionStatus to) => throw new NotImplementedException();

    /// <summary>TERMINATED, ERROR and CANCELLED: nothing follows them.</summary>
    public static bool IsFinal(SessionStatus status) => throw new NotImplementedException();
}
