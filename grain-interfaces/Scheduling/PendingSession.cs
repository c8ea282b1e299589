using Granary.Resources;

namespace Granary.Scheduling;

/// <summary>A session waiting at its group's scheduler.</summary>
[GenerateSerializer, Immutable]
public sealed record PendingSession(
    [property: Id(0)] string SessionId,
    [property: Id(1)] string Owner,
    [property: Id(2)] ResourceRequest Resources,
    [property: Id(3)] int Priority,
    [property: Id(4)] DateTimeOffset EnqueuedAt);
