using System.Diagnostics.Metrics;

namespace Granary.Scheduling;

/// <summary>What the scheduler grains spend deciding (meter "Granary.Scheduler"): read by /metrics exporters and
/// by the throughput benchmark through a MeterListener.</summary>
public static class SchedulerMetrics
{
    public const string MeterName = "Granary.Scheduler";
    public const string PlanDurationName = "granary.scheduler.plan.duration";
    public const string PlacedName = "granary.scheduler.sessions.placed";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Wall time of one planning pass (the pure plan plus applying it to the view), in milliseconds.</summary>
    public static readonly Histogram<double> PlanDuration =
        Meter.CreateHistogram<double>(PlanDurationName, "ms", "Duration of one scheduler planning pass");

    /// <summary>Sessions given a placement by a planning pass.</summary>
    public static readonly Counter<long> Placed =
        Meter.CreateCounter<long>(PlacedName, "{session}", "Sessions placed by the scheduler");
}
