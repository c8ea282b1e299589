using System.Globalization;

namespace Granary.Benchmarks.Soak;

/// <summary>The gateway's managed memory as of its last GC, from its /metrics (the runtime's System.Runtime meter):
/// the heap (live objects and what the GC has not yet reclaimed), unlike the resident memory without the memory the
/// GC keeps committed for later, and that committed memory.</summary>
public static class ManagedHeap
{
    public const string HeapSize = "dotnet_gc_last_collection_heap_size_bytes";
    public const string Committed = "dotnet_gc_last_collection_memory_committed_size_bytes";

    /// <summary>The metric summed over its series (the heap's generations), or null if /metrics has none.</summary>
    public static async Task<long?> Read(HttpClient client, string metric, CancellationToken cancellationToken)
    {
        var text = await client.GetStringAsync("/metrics", cancellationToken);
        var values = text.Split('\n')
            .Where(line => line.StartsWith(metric + "{", StringComparison.Ordinal) || line.StartsWith(metric + " ", StringComparison.Ordinal))
            // name{labels} value [timestamp], or name value [timestamp]
            .Select(line => line.Contains('}') ? line[(line.LastIndexOf('}') + 1)..] : line[metric.Length..])
            .Select(rest => double.Parse(rest.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture))
            .ToList();
        return values.Count == 0 ? null : (long)values.Sum();
    }
}
