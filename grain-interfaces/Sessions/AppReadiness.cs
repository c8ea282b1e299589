namespace Granary.Sessions;

/// <summary>Whether a session's app answers yet: starting until its probe succeeds, then ready; failed when it did
/// not answer within the agent's AppReadyTimeout.</summary>
public enum AppState
{
    Starting,
    Ready,
    Failed,
}

/// <summary>An app of a running session changed state (the agent's probe of its port), and why.</summary>
[GenerateSerializer, Immutable]
public sealed record AppReadiness(
    [property: Id(0)] string Name,
    [property: Id(1)] AppState State,
    [property: Id(2)] string? Reason = null);
