namespace Granary.Scheduling;

/// <summary>The scheduler's queue as operators see it: each pending session with why it still waits; under the
/// placement policy "plan", which plan its placements follow.</summary>
[GenerateSerializer, Immutable]
public sealed record SchedulerStatus(
    [property: Id(0)] string ResourceGroup,
    [property: Id(1)] string Policy,
    [property: Id(2)] PendingEntry[] Pending,
    [property: Id(3)] int Agents,
    [property: Id(4)] string? Plan = null);

[GenerateSerializer, Immutable]
public sealed record PendingEntry(
    [property: Id(0)] string SessionId,
    [property: Id(1)] string? Reason,
    [property: Id(2)] int Skips);
