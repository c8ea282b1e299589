using Granary.Agents;

namespace Granary.Scheduling;

/// <summary>
/// Dominant resource fairness across owners: the next request comes from the owner whose dominant share
/// (the largest of its CPU, memory and GPU use as fractions of the group's capacity, counting what it runs and
/// what this round has placed for it) is lowest; ties go to the owner whose next request waited longest.
/// Within an owner, first come first considered.
/// </summary>
public sealed class DrfOrder : IQueueOrder
{
    public static readonly DrfOrder Instance = new();

    /// <summary>Without a cluster: owners interleaved round-robin by their FIFO queues (every share zero).</summary>
    public IReadOnlyList<QueuedRequest> Order(IReadOnlyList<QueuedRequest> queue) =>
        Sequence(queue, new ClusterState(), []).ToArray();

    public IEnumerable<QueuedRequest> Sequence(IReadOnlyList<QueuedRequest> queue, ClusterState cluster, IReadOnlyList<Placement> placed)
    {
        ArgumentNullException.ThrowIfNull(queue);
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(placed);

        double totalCpu = 0, totalMemory = 0, totalGpu = 0;
        var usage = new Dictionary<string, Usage>(StringComparer.Ordinal);
        foreach (var node in cluster.Nodes)
        {
            totalCpu += node.Capacity.CpuMilli;
            totalMemory += node.Capacity.MemoryBytes;
            totalGpu += node.Gpus.TotalMilli;
            foreach (var allocation in node.Allocations)
                if (allocation.Owner is { } owner) Add(usage, owner, allocation.CpuMilli, allocation.MemoryBytes, allocation.Gpus);
        }

        var byOwner = FifoOrder.Instance.Order(queue).GroupBy(q => q.Session.Owner, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => new Queue<QueuedRequest>(g), StringComparer.Ordinal);
        var counted = 0;   // placements of this round already added to usage
        var lastYielded = new Dictionary<string, long>(StringComparer.Ordinal);
        long step = 0;

        while (byOwner.Count > 0)
        {
            for (; counted < placed.Count; counted++)
            {
                var p = placed[counted];
                if (p.Owner is { } owner) Add(usage, owner, p.CpuMilli, p.MemoryBytes, p.Gpus);
            }

            string? next = null;
            double nextShare = 0;
            foreach (var (owner, requests) in byOwner)
            {
                var share = DominantShare(usage.GetValueOrDefault(owner));
                if (next is null || share < nextShare || (share == nextShare && Earlier(requests.Peek(), byOwner[next].Peek(), owner, next, lastYielded)))
                {
                    next = owner;
                    nextShare = share;
                }
            }

            var queueOfNext = byOwner[next!];
            var request = queueOfNext.Dequeue();
            if (queueOfNext.Count == 0) byOwner.Remove(next!);
            lastYielded[next!] = ++step;
            yield return request;
        }

        double DominantShare(Usage u) => Math.Max(
            Math.Max(totalCpu > 0 ? u.Cpu / totalCpu : 0, totalMemory > 0 ? u.Memory / totalMemory : 0),
            totalGpu > 0 ? u.Gpu / totalGpu : 0);
    }

    // Equal shares: the owner served least recently goes first (so equal owners alternate), then the older request.
    private static bool Earlier(QueuedRequest a, QueuedRequest b, string ownerA, string ownerB, Dictionary<string, long> lastYielded)
    {
        var servedA = lastYielded.GetValueOrDefault(ownerA);
        var servedB = lastYielded.GetValueOrDefault(ownerB);
        if (servedA != servedB) return servedA < servedB;
        return a.Session.EnqueuedAt < b.Session.EnqueuedAt;
    }

    private static void Add(Dictionary<string, Usage> usage, string owner, long cpu, long memory, IEnumerable<Resources.GpuShare>? gpus)
    {
        var u = usage.GetValueOrDefault(owner);
        usage[owner] = new Usage(u.Cpu + cpu, u.Memory + memory, u.Gpu + (gpus?.Sum(g => g.Milli) ?? 0));
    }

    private readonly record struct Usage(double Cpu, double Memory, double Gpu);
}
