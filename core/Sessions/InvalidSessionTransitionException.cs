namespace Granary.Sessions;

public sealed class InvalidSessionTransitionException(SessionStatus from, SessionStatus to)
    : InvalidOperationException($"A session cannot go from {from} to {to}.")
{
    public SessionStatus From { get; } = from;
    public SessionStatus To { get; } = to;
}
