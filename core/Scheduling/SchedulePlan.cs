using Granary.Agents;

namespace Granary.Scheduling;

/// <summary>The outcome of one planning round: the placements to make, and for every request left in the
/// queue why it waits and its updated skip count.</summary>
public sealed record SchedulePlan(
    IReadOnlyList<Placement> Placements,
    IReadOnlyDictionary<string, string> PendingReasons,
    IReadOnlyDictionary<string, int> Skips);
