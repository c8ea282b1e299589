using Granary.Agents;
using Granary.Devices;
using Granary.Resources;

namespace Granary.Scheduling;

/// <summary>One request type of a target workload: how likely it is, its CPU, and its GPUs (count × milli each;
/// count 0 for CPU-only), with the GPU models it accepts (null: any).</summary>
public sealed record WorkloadType(double Probability, long CpuMilli, int GpuCount, int MilliPerGpu, string[]? Models);

/// <summary>The mix of requests fragmentation is measured against (FGD): the most frequent request types that
/// together cover a share of all requests (95 % by default), with probabilities renormalised over them.</summary>
public sealed class TargetWorkload
{
    public TargetWorkload(IReadOnlyList<WorkloadType> types) => Types = types;

    public IReadOnlyList<WorkloadType> Types { get; }

    public static readonly TargetWorkload Empty = new([]);

    /// <summary>Groups requests by (CPU, milli per GPU, GPU count, models), keeps the most frequent groups until
    /// they cover <paramref name="coverage"/> of the requests, and renormalises. Ties in frequency: smaller CPU first, then the key.</summary>
    public static TargetWorkload FromRequests(IEnumerable<ResourceRequest> requests, double coverage = 0.95)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var counts = new Dictionary<(long Cpu, int Count, int Milli, string Models), int>();
        var total = 0;
        foreach (var request in requests)
        {
            var (count, milli) = GpuShape(request);
            var key = (request.CpuMilli, count, milli, ModelKey(request.GpuModels));
            counts[key] = counts.GetValueOrDefault(key) + 1;
            total++;
        }
        if (total == 0) return Empty;

        var ordered = counts.OrderByDescending(kv => kv.Value)
            .ThenBy(kv => kv.Key.Cpu).ThenBy(kv => kv.Key.Count).ThenBy(kv => kv.Key.Milli)
            .ThenBy(kv => kv.Key.Models, StringComparer.Ordinal).ToList();
        var kept = new List<KeyValuePair<(long Cpu, int Count, int Milli, string Models), int>>();
        var covered = 0;
        foreach (var group in ordered)
        {
            if (covered >= coverage * total) break;
            kept.Add(group);
            covered += group.Value;
        }
        return new TargetWorkload(kept.Select(kv => new WorkloadType(
            (double)kv.Value / covered, kv.Key.Cpu, kv.Key.Count, kv.Key.Milli,
            kv.Key.Models.Length == 0 ? null : kv.Key.Models.Split('|'))).ToArray());
    }

    /// <summary>Whether the other mix has the same request types, each with a probability within <paramref name="tolerance"/>.</summary>
    public bool SameMix(TargetWorkload other, double tolerance)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Types.Count != Types.Count) return false;
        for (var i = 0; i < Types.Count; i++)
        {
            var (a, b) = (Types[i], other.Types[i]);
            if (a.CpuMilli != b.CpuMilli || a.GpuCount != b.GpuCount || a.MilliPerGpu != b.MilliPerGpu
                || (a.Models ?? []).AsSpan().SequenceEqual(b.Models ?? []) is false
                || Math.Abs(a.Probability - b.Probability) >= tolerance)
                return false;
        }
        return true;
    }

    /// <summary>The observed mix: what the cluster runs plus what waits in the queue.</summary>
    public static TargetWorkload Observed(IReadOnlyList<QueuedRequest> queue, ClusterState cluster)
    {
        var requests = new List<ResourceRequest>(queue.Count);
        foreach (var node in cluster.Nodes)
            foreach (var allocation in node.Allocations) requests.Add(RequestOf(allocation));
        foreach (var queued in queue) requests.Add(queued.Session.Resources);
        return FromRequests(requests);
    }

    /// <summary>The request an allocation answers (whole devices, or one fractional share), for the observed mix.</summary>
    public static ResourceRequest RequestOf(Allocation allocation)
    {
        var gpus = allocation.Gpus ?? [];
        var milli = gpus.Sum(g => g.Milli);
        if (gpus.Length > 0 && gpus.All(g => g.Milli == GpuAllocationMap.DeviceMilli))
            return new ResourceRequest(allocation.CpuMilli, allocation.MemoryBytes, Gpus: gpus.Length);
        return new ResourceRequest(allocation.CpuMilli, allocation.MemoryBytes, FgpuMilli: milli);
    }

    /// <summary>(GPU count, milli per GPU) of a request; fractions over one device split evenly.</summary>
    public static (int Count, int Milli) GpuShape(ResourceRequest request)
    {
        if (request.Gpus > 0) return (request.Gpus, GpuAllocationMap.DeviceMilli);
        if (request.FgpuMilli <= 0) return (0, 0);
        var milli = (int)Math.Min(request.FgpuMilli, int.MaxValue);
        if (milli <= GpuAllocationMap.DeviceMilli) return (1, milli);
        var count = (milli + GpuAllocationMap.DeviceMilli - 1) / GpuAllocationMap.DeviceMilli;
        return (count, (milli + count - 1) / count);
    }

    public static string ModelKey(string[]? models) =>
        models is not { Length: > 0 } ? "" :
        string.Join('|', models.Select(m => m.ToUpperInvariant()).Distinct().Order(StringComparer.Ordinal));
}
