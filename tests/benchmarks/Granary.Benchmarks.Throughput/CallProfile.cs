using System.Collections.Concurrent;
using System.Diagnostics;

namespace Granary.Benchmarks.Throughput;

/// <summary>With GRANARY_BENCH_PROFILE=1: an incoming call filter on every silo that adds up, per grain method,
/// how many calls ran and how long they took (from the start of the turn to the end of the call), to show which
/// grain holds the others up.</summary>
public sealed class CallProfile : IIncomingGrainCallFilter
{
    public static readonly bool Enabled = Environment.GetEnvironmentVariable("GRANARY_BENCH_PROFILE") == "1";

    private readonly ConcurrentDictionary<string, Totals> _totals = new();

    public async Task Invoke(IIncomingGrainCallContext context)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await context.Invoke();
        }
        finally
        {
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            var name = $"{context.InterfaceName.Split('.').Last()}.{context.MethodName}";
            if (name.StartsWith("IGrainTimerInvoker", StringComparison.Ordinal))
            {
                name = $"{context.Grain?.GetType().Name} timer";
            }
            var totals = _totals.GetOrAdd(name, _ => new Totals());
            lock (totals)
            {
                totals.Calls++;
                totals.Ms += elapsed;
                totals.MaxMs = Math.Max(totals.MaxMs, elapsed);
            }
        }
    }

    public void Print()
    {
        Console.Error.WriteLine($"{"grain method",-48} {"calls",9} {"total ms",10} {"mean ms",9} {"max ms",9}");
        foreach (var (name, t) in _totals.OrderByDescending(t => t.Value.Ms).Take(25))
        {
            Console.Error.WriteLine($"{name,-48} {t.Calls,9} {t.Ms,10:F0} {t.Ms / t.Calls,9:F2} {t.MaxMs,9:F0}");
        }
        _totals.Clear();
    }

    private sealed class Totals
    {
        public long Calls;
        public double Ms;
        public double MaxMs;
    }
}
