namespace Granary.Sessions;

/// <summary>One status change of a session, or (App set) one of its apps becoming ready or failing while it runs;
/// Sequence starts at 1 and grows by one per event.</summary>
[GenerateSerializer, Immutable]
public sealed record SessionEvent(
    [property: Id(0)] long Sequence,
    [property: Id(1)] SessionStatus Status,
    [property: Id(2)] string? Reason,
    [property: Id(3)] DateTimeOffset At,
    [property: Id(4)] AppReadiness? App = null);
