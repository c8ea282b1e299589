namespace Granary.Scheduling;

/// <summary>How a resource group orders its queue and places requests.
/// Placement: "plan" (the grains' default, <see cref="SchedulerOptions.Policy"/>) or one of
/// <see cref="PlacementPolicy.Names"/>; this record's default, "fgd-adaptive", is the fragmentation-aware policy a
/// planner places by without a plan ("bestfit" concentrated, "worstfit" dispersed, "roundrobin", ... also work).
/// Queue: one of <see cref="QueueOrders.Names"/> ("fifo", "lifo", "priority", "drf"), with at most MaxSkips
/// head-of-line skips per request.</summary>
public sealed record SchedulingPolicy(string Placement = PlacementPolicy.DefaultName, string Queue = "fifo", int MaxSkips = 16);
