using System.Diagnostics.Metrics;
using Granary.Scheduling;

namespace Granary.Benchmarks.Throughput;

/// <summary>The scheduler grains' planning passes (meter Granary.Scheduler): each pass's wall time and the sessions
/// it placed. The grain records the two one after the other on its thread, so they are paired here.</summary>
public sealed class SchedulerMeter : IDisposable
{
    [ThreadStatic] private static double? _lastPlanMs;

    private readonly MeterListener _listener = new();
    private readonly Lock _lock = new();
    private readonly List<(double Ms, long Placed)> _passes = [];

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
                _lastPlanMs = value;
            }
        });
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            if (instrument.Name == SchedulerMetrics.PlacedName && _lastPlanMs is { } ms)
            {
                _lastPlanMs = null;
                lock (_lock) { _passes.Add((ms, value)); }
            }
        });
        _listener.Start();
    }

    /// <summary>A mark to measure the passes since.</summary>
    public int Read()
    {
        lock (_lock)
        {
            return _passes.Count;
        }
    }

    public SchedulerTotals Since(int mark)
    {
        lock (_lock)
        {
            return new SchedulerTotals(_passes.Skip(mark).ToArray());
        }
    }

    public void Dispose() => _listener.Dispose();
}

public sealed class SchedulerTotals((double Ms, long Placed)[] passes)
{
    public long Passes => passes.Length;

    /// <summary>All planning time over all placed sessions, in microseconds.</summary>
    public double MeanMicrosPerSession => passes.Sum(p => p.Placed) is var placed and > 0 ? passes.Sum(p => p.Ms) * 1000 / placed : 0;

    /// <summary>The placed session in the middle: each pass's time per session it placed, weighted by those sessions.
    /// Unlike the mean, one pass stretched by preemption on a busy machine does not move it.</summary>
    public double MedianMicrosPerSession
    {
        get
        {
            var placed = passes.Where(p => p.Placed > 0).Select(p => (Micros: p.Ms * 1000 / p.Placed, p.Placed)).OrderBy(p => p.Micros).ToArray();
            var half = placed.Sum(p => p.Placed) / 2.0;
            foreach (var (micros, count) in placed)
            {
                half -= count;
                if (half <= 0)
                {
                    return micros;
                }
            }
            return 0;
        }
    }
}
