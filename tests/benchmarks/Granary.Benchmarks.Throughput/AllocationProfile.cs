using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace Granary.Benchmarks.Throughput;

/// <summary>With GRANARY_BENCH_PROFILE=1: the runtime's allocation samples (one per ~100 KB allocated) added up by
/// type, to show what the allocations per session are made of.</summary>
public sealed class AllocationProfile : EventListener
{
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private readonly ConcurrentDictionary<string, long> _bytes = new();

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventName?.StartsWith("GCAllocationTick", StringComparison.Ordinal) == true
            && eventData.Payload is { } payload && eventData.PayloadNames is { } names)
        {
            var type = payload[names.IndexOf("TypeName")] as string ?? "?";
            var amount = Convert.ToInt64(payload[names.IndexOf("AllocationAmount64")]);
            _bytes.AddOrUpdate(type, amount, (_, total) => total + amount);
        }
    }

    public void Print(int sessions)
    {
        var total = _bytes.Values.Sum();
        Console.Error.WriteLine($"{"allocated type (sampled)",-90} {"KiB/session",12} {"share",7}");
        foreach (var (type, bytes) in _bytes.OrderByDescending(e => e.Value).Take(30))
        {
            Console.Error.WriteLine($"{(type.Length > 90 ? type[^90..] : type),-90} {bytes / 1024.0 / sessions,12:F2} {(double)bytes / total,7:P1}");
        }
        _bytes.Clear();
    }
}
