using System.Diagnostics.Metrics;
using Granary.Scheduling;

namespace Granary.Benchmarks.Throughput;

/// <summary>Adds up the scheduler grains' planning time and placements (meter Granary.Scheduler).</summary>
public sealed class SchedulerMeter : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly Lock _lock = new();
    private double _planMs;
    private long _passes;
    private long _placed;

    public SchedulerMeter()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == SchedulerMetrics.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((instrument, value, _, _) =>
        {
            if (instrument.Name == SchedulerMetrics.PlanDurationName)
            {
                lock (_lock) { _planMs += value; _passes++; }
            }
        });
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            if (instrument.Name == SchedulerMetrics.PlacedName)
            {
                lock (_lock) { _placed += value; }
            }
        });
        _listener.Start();
    }

    public SchedulerTotals Read()
    {
        lock (_lock)
        {
            return new SchedulerTotals(_planMs, _passes, _placed);
        }
    }

    public void Dispose() => _listener.Dispose();
}

public sealed record SchedulerTotals(double PlanMs, long Passes, long Placed)
{
    public static SchedulerTotals operator -(SchedulerTotals after, SchedulerTotals before) =>
        new(after.PlanMs - before.PlanMs, after.Passes - before.Passes, after.Placed - before.Placed);

    /// <summary>Planning time per placed session, in microseconds.</summary>
    public double MicrosPerSession => Placed == 0 ? 0 : PlanMs * 1000 / Placed;
}
