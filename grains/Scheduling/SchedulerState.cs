using Granary.Agents;

namespace Granary.Scheduling;

/// <summary>A scheduler's persisted state: its queue, and the placements it made that no agent has confirmed yet.</summary>
[GenerateSerializer]
public sealed class SchedulerState
{
    /// <summary>Oldest first (by EnqueuedAt).</summary>
    [Id(0)] public List<QueuedSession> Queue { get; set; } = [];

    /// <summary>Session id → a placement sent to the session but not yet seen in its agent's snapshot.</summary>
    [Id(1)] public Dictionary<string, InFlightPlacement> InFlight { get; set; } = [];
}

[GenerateSerializer]
public sealed class QueuedSession
{
    [Id(0)] public required PendingSession Session { get; init; }
    [Id(1)] public int Skips { get; set; }
    [Id(2)] public string? Reason { get; set; }
}

[GenerateSerializer, Immutable]
public sealed record InFlightPlacement(
    [property: Id(0)] Placement Placement,
    [property: Id(1)] PendingSession Session,
    [property: Id(2)] DateTimeOffset PlacedAt);
