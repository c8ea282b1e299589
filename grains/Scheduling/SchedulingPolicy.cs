namespace Granary.Scheduling;

/// <summary>How a resource group orders its queue and places requests.
/// Placement: "bestfit" (concentrated), "worstfit" (dispersed), and more as they are added.
/// Queue: "fifo" with at most MaxSkips head-of-line skips per request.</summary>
public sealed record SchedulingPolicy(string Placement = "bestfit", string Queue = "fifo", int MaxSkips = 16);
