using System.Globalization;

namespace Granary.Benchmarks.Soak;

/// <summary>The gateway's managed memory as of its last GC, from its /metrics (the runtime's System.Runtime meter):
/// the heap (live objects and what the GC has not yet reclaimed), unlike the resident memory without the memory the
/// GC keeps committed for later, and that committed memory.</summary>
public static class ManagedHeap
{
    private const string HeapSize = "dotnet_gc_last_collection_heap_size_bytes";
    private const string Committed = "dotnet_gc_last_collection_memory_committed_size_bytes";

    /// <summary>Both, from one read of /metrics; each null if /metrics has none.</summary>
    public static async Task<(long? Heap, long? Committed)> Read(HttpClient client, CancellationToken cancellationToken)
    {
        var lines = (await client.GetStringAsync("/metrics", cancellationToken)).Split('\n');
        return (Sum(lines, HeapSize), Sum(lines, Committed));
    }

    /// <summary>The metric summed over its series (the heap's generations), or null if there is none.</summary>
    private static long? Sum(string[] lines, string metric)
    {
        var values = lines
            .Where(line => line.StartsWith(metric + "{", StringComparison.Ordinal) || line.StartsWith(metric + " ", StringComparison.Ordinal))
            // name{labels} value [timestamp], or name value [timestamp]
            .Select(line => line.Contains('}') ? line[(line.LastIndexOf('}') + 1)..] : line[metric.Length..])
            .Select(rest => double.Parse(rest.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture))
            .ToList();
        return values.Count == 0 ? null : (long)values.Sum();
    }
}
