namespace Granary.Scheduling;

/// <summary>How a resource group orders its queue and places requests.
/// Placement: one of <see cref="PlacementPolicy.Names"/>; the default, "fgd-adaptive", is fragmentation-aware
/// ("bestfit" concentrated, "worstfit" dispersed, "roundrobin", ... also work).
/// Queue: one of <see cref="QueueOrders.Names"/> ("fifo", "lifo", "priority", "drf"), with at most MaxSkips
/// head-of-line skips per request.</summary>
public sealed record SchedulingPolicy(string Placement = PlacementPolicy.DefaultName, string Queue = "fifo", int MaxSkips = 16);
