using System.Collections.Immutable;
using Granary.Agents;

namespace Granary.Scheduling;

/// <summary>A scheduler's persisted state: its queue, and the placements it made that no agent has confirmed yet.</summary>
[GenerateSerializer]
public sealed class SchedulerState
{
    /// <summary>Oldest first (by EnqueuedAt).</summary>
    [Id(0)] public List<QueuedSession> Queue { get; set; } = [];

    /// <summary>Session id → a placement sent to the session but not yet seen in its agent's snapshot.
    /// Immutable (as are the queue's entries), so storing the state shares them instead of copying each one.</summary>
    [Id(1)] public ImmutableDictionary<string, InFlightPlacement> InFlight { get; set; } = ImmutableDictionary<string, InFlightPlacement>.Empty;
}

[GenerateSerializer, Immutable]
public sealed record QueuedSession(
    [property: Id(0)] PendingSession Session,
    [property: Id(1)] int Skips,
    [property: Id(2)] string? Reason);

[GenerateSerializer, Immutable]
public sealed record InFlightPlacement(
    [property: Id(0)] Placement Placement,
    [property: Id(1)] PendingSession Session,
    [property: Id(2)] DateTimeOffset PlacedAt);
